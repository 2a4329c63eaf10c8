// `myrt checkpoint --pre-dump`: the container's memory, while it keeps
// running, and the start (or renewal) of its dirty tracking. The tasks are
// stopped (seized, the cgroup thawed) only while their pages are read; the
// image holds memory only, per process (PREDUMP_PROCESS, PARENT_PAGES, PAGES),
// and is a parent for the next pre-dump or the final checkpoint
// (--parent-path), never restored alone.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "cr/checkpoint/checkpoint.hpp"
#include "cr/checkpoint/dirty_holder.hpp"
#include "cr/checkpoint/freeze_guard.hpp"
#include "cr/checkpoint/page_selection.hpp"
#include "cr/driver/criu_files.hpp"
#include "cr/driver/image_chain.hpp"
#include "cr/driver/sections.hpp"
#include "cr/driver/work_log.hpp"
#include "cr/image/host_info.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/memory/dump_memory.hpp"
#include "cr/ptrace/seize.hpp"
#include "cr/tools/image_layout.hpp"
#include "cr/transport/open_stream.hpp"
#include "cr/transport/tcp_stream.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/process_info.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

using Clock = std::chrono::steady_clock;
double since_ms(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// The process's pid in the innermost pid namespace (NSpid's last field).
int32_t innermost_pid(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("NSpid:", 0) == 0) {
            auto last = line.find_last_of(" \t");
            return std::atoi(line.c_str() + last + 1);
        }
    fail("process {} has no NSpid in /proc/{}/status", pid, pid);
}

}  // namespace

CheckpointReport pre_dump_container(const runtime::StateStore& store, const CheckpointOptions& opts) {
    const auto t0 = Clock::now();
    CheckpointReport report;
    if (transport::is_tcp_address(opts.image_path))
        fail("not supported yet: --pre-dump to a tcp:// image path (the pre-dump is a parent image on disk)");
    std::string work = opts.work_path.empty() ? opts.image_path : opts.work_path;
    driver::make_directories(opts.image_path);
    driver::make_directories(work);
    WorkLog log(work, "dump.log");
    auto note = [&log](const std::string& l) { log.line(l); };
    try {
        auto lock = store.lock(opts.id);
        auto st = store.load(opts.id);
        auto status = runtime::current_status(store, st);
        if (status != runtime::Status::running && status != runtime::Status::paused)
            fail("container \"{}\" is {}: only a running or paused container can be pre-dumped", opts.id,
                 runtime::status_name(status));
        log.line(fmt::format("pre-dump of container {} (init pid {}) into {}", opts.id, st.pid, opts.image_path));
        std::string why_none;
        auto tracking = adopt_dirty_tracking(store, st, why_none);
        if (!why_none.empty()) log.line(why_none);
        driver::ImageChain chain;
        driver::Lineage lineage;
        lineage.id = driver::new_image_id();
        lineage.container_id = opts.id;
        if (!opts.parent_path.empty()) {
            chain = driver::open_image_chain(opts.image_path, opts.parent_path, opts.id, std::nullopt, std::nullopt, false);
            const auto& parent = chain.images[0].lineage;
            if (tracking && tracking->epoch && *tracking->epoch != parent.id)
                fail("--parent-path {} is image {}, but the pages of container {} are tracked since image {} ({}): give "
                     "that one as the parent",
                     opts.parent_path, driver::format_image_id(parent.id), opts.id,
                     driver::format_image_id(*tracking->epoch), tracking->epoch_image);
            if (!tracking || !tracking->epoch) {
                log.line(fmt::format("no dirty tracking counts from {}: every page is dumped, and the image has no parent",
                                     opts.parent_path));
                chain = {};
            } else {
                if (parent.depth + 1 > image::max_chain_depth)
                    fail("--parent-path {} has {} images behind it: a chain is at most {} long", opts.parent_path,
                         parent.depth, image::max_chain_depth);
                lineage.parent_id = parent.id;
                lineage.depth = parent.depth + 1;
                lineage.parent_path = opts.parent_path;
                log.line(fmt::format("parent {} (image {}, {} images behind it)", opts.parent_path,
                                     driver::format_image_id(parent.id), parent.depth));
            }
        }
        auto cg = cgroup::Cgroup::from_json(st.cgroup);
        std::string image_file = tools::image_stream_path(opts.image_path);
        ::unlink(image_file.c_str());
        auto sink = transport::open_sink(image_file);
        // The pages are protected again by this dump: if it fails, they no
        // longer count from any image.
        if (tracking) forget_tracking_epoch(store, st);

        std::optional<SeizedTree> seized;
        const auto freeze_start = Clock::now();
        FreezeGuard freezer(cg, log);
        report.freeze_ms = since_ms(freeze_start);
        auto& tree = seized.emplace(st.pid, SeizeMode::checkpoint);
        freezer.thaw_for_dump();
        log.line(fmt::format("seized {} processes in {:.1f} ms", tree.processes().size(), since_ms(freeze_start)));

        image::RecordWriter writer(*sink);
        writer.write_head(image::make_head(image::head_flag_pre_dump |
                                           (chain.empty() ? 0 : image::head_flag_has_parent)));
        driver::write_lineage(writer, lineage);
        SelectionContext ctx{&chain, tracking ? &*tracking : nullptr, true, note};
        DirtyTracking next;
        next.epoch = lineage.id;
        next.epoch_image = opts.image_path;
        uint64_t in_parent = 0;
        const auto mem_start = Clock::now();
        for (size_t i = 0; i < tree.processes().size(); ++i) {
            auto& p = tree.processes()[i];
            pid_t tid = p.live_tid();
            auto stat = runtime::read_proc_stat(p.pid());
            if (!stat) fail("process {} of the container is gone", p.pid());
            int32_t ns_pid = innermost_pid(p.pid());
            auto vmas = read_vmas(tid);
            TrackedProcess tracker;
            auto sel = select_pages(tid, stat->start_time, ns_pid, vmas, {}, ctx, &tracker);
            if (tracker.uffd) {
                tracker.pid = p.pid();
                next.processes.push_back(std::move(tracker));
            }
            auto objref = driver::pages_objref(static_cast<uint32_t>(i));
            writer.write<image::RecordType::predump_process>(image::PredumpProcessRecord{ns_pid, 0}, objref);
            for (const auto& r : sel.plan.in_parent)
                writer.write<image::RecordType::parent_pages>(image::ParentPagesRecord{r.start, r.npages}, objref);
            uint64_t mapped = 0;
            for (auto& v : vmas)
                if (!v.is_special()) mapped += v.size();
            auto stats = dump_runs_to_image(tid, vmas, sel.plan.dump, writer, objref, dump_buffers_for(mapped));
            report.pages += stats.pages;
            in_parent += count_pages(sel.plan.in_parent);
            log.line(fmt::format("process {}: {} pages dumped, {} in the parent; VMAs: {} tracked, {} newly tracked, {} "
                                 "dumped whole", ns_pid, stats.pages, count_pages(sel.plan.in_parent), sel.tracked_vmas,
                                 sel.new_vmas, sel.untracked_vmas));
        }
        report.processes = tree.processes().size();
        report.memdump_ms = since_ms(mem_start);
        // The pages are in the sink's hands (written or queued); the tasks
        // may run on while the rest is written.
        freezer.finish();
        tree.detach();
        seized.reset();
        report.frozen_ms = since_ms(freeze_start);
        writer.finish();
        report.image_bytes = writer.bytes_written();
        driver::write_file_atomic(opts.image_path, "inventory.img", driver::encode_inventory());
        keep_dirty_tracking(store, st, next);
        report.total_ms = since_ms(t0);
        driver::DumpStats ds;
        ds.freezing_time_us = static_cast<uint32_t>(report.freeze_ms * 1000);
        ds.frozen_time_us = static_cast<uint32_t>(report.frozen_ms * 1000);
        ds.memdump_time_us = static_cast<uint32_t>(report.memdump_ms * 1000);
        ds.memwrite_time_us = ds.memdump_time_us;
        ds.pages_scanned = report.pages + in_parent;
        ds.pages_written = report.pages;
        driver::write_file_atomic(work, "stats-dump", driver::encode_stats_dump(ds));
        log.line(fmt::format("pre-dump image {} (image id {}): {} pages, {} in the parent, {} bytes; tasks stopped for "
                             "{:.1f} ms, done in {:.1f} ms; {} processes tracked",
                             image_file, driver::format_image_id(lineage.id), report.pages, in_parent,
                             report.image_bytes, report.frozen_ms, report.total_ms, next.processes.size()));
        log.flush();
        return report;
    } catch (const std::exception& e) {
        log.line(fmt::format("pre-dump failed: {}", e.what()));
        log.flush_noexcept();
        throw;
    }
}

}  // namespace myrt::cr
