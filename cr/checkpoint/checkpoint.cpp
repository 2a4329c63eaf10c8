#include "cr/checkpoint/checkpoint.hpp"
#include "cr/checkpoint/dirty_holder.hpp"  // predump
#include "cr/checkpoint/freeze_guard.hpp"
#include "cr/checkpoint/page_selection.hpp"  // predump
#include "cr/driver/image_chain.hpp"  // predump
#include "runtime/process_info.hpp"  // predump

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "cr/driver/codec.hpp"
#include "cr/driver/criu_files.hpp"
#include "cr/driver/fd_kinds_all.hpp"
#include "cr/driver/sections.hpp"
#include "cr/driver/work_log.hpp"
#include "cr/files/files.hpp"
#include "cr/image/host_info.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/ipc/dump_ipc.hpp"  // cr/ipc
#include "cr/net/netns_config.hpp"  // cr/net
#include "cr/memory/cow_shared.hpp"  // proc20
#include "cr/memory/dump_memory.hpp"
#include "cr/net/inet_socket.hpp"  // cr/net
#include "cr/net/unix_socket.hpp"  // cr/net
#include "cr/ns/ns_state.hpp"
#include "cr/ns/tmpfs_contents.hpp"
#include "cr/objhash/leak_detector.hpp"
#include "cr/ptrace/proc_scan.hpp"
#include "cr/ptrace/seize.hpp"
#include "cr/task/dump_task.hpp"
#include "cr/tty/pty.hpp"  // cr/tty
#include "cr/task/file_locks.hpp"
#include "cr/task/tree_ids.hpp"
#include "cr/task/tuning.hpp"
#include "cr/task/zombies.hpp"
#include "cr/tools/image_layout.hpp"
#include "cr/transport/open_stream.hpp"
#include "cr/transport/tcp_stream.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/process_info.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cr {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Objects reachable through fds 0-2 of the given processes. For the init,
// these are the caller's stdio, shared with the outside on purpose.
std::set<std::pair<uint64_t, uint64_t>> stdio_objects(const std::vector<pid_t>& pids) {
    std::set<std::pair<uint64_t, uint64_t>> out;
    for (pid_t p : pids)
        for (int fd = 0; fd <= 2; ++fd) {
            struct stat s {};
            if (::stat(fmt::format("/proc/{}/fd/{}", p, fd).c_str(), &s) == 0) out.emplace(s.st_dev, s.st_ino);
        }
    return out;
}

// Collect pass and leak check; on return `hash` is in its dump phase with
// reverse-leak checks on, ready for the files layer.
void check_leaks(objhash::ObjHash& hash, const std::vector<pid_t>& pids, pid_t init, WorkLog& log,
                 const std::vector<int>& in_flight) {
    const auto start = Clock::now();
    objhash::LeakDetector detector(hash);
    detector.collect(pids);
    detector.collect_in_flight(::getpid(), in_flight);  // cr/net: fds in flight in the container's sockets
    objhash::LeakOptions opts;
    opts.ignore_pids.insert(::getpid());
    opts.declare_namespaces_of(::getpid());
    // Only the init's stdio is the caller's: a pipe between two processes of
    // the container is their own even where it is some child's stdin, and a
    // host process holding it is a leak.
    auto stdio = stdio_objects({init});
    auto terminal = tty::find_stdio_terminal(init);  // cr/tty: the console (conmon holds its master) or the caller's
    opts.is_external = [stdio, terminal](const objhash::Object& o) {
        return ((o.key.kind == objhash::kind::file || o.key.kind == objhash::kind::pipe) &&
                stdio.count({o.key.dev, o.key.ino})) ||
               terminal.is_object(o);
    };
    detector.check_leaks(opts);
    for (auto& [pid, why] : detector.uninspectable())
        log.line(fmt::format("leak check skipped process {}: {}", pid, why));
    log.line(fmt::format("collect pass and leak check in {:.1f} ms", ms_since(start)));
}

// /proc shows a user-namespace container's ids as host ids; the image keeps
// them as the container saw them, which is what the bundle's process.user and
// the restore's checks speak of (the restore maps them back through the new
// namespace's maps).
int32_t inner_pid_of(const ProcessState& ps) { return ps.core.ids.ns_pid[ps.core.ids.ns_depth - 1]; }

void creds_to_inside(ProcessState& ps, const ns::NamespaceState& nss) {
    const int32_t pid = ps.core.ids.ns_pid[ps.core.ids.ns_depth - 1];
    auto inside = [&](const ns::IdMap& map, uint32_t host, const char* what) {
        auto id = ns::id_to_inside(map, host);
        if (!id) fail("process {} has {} {}, which its user namespace does not map", pid, what, host);
        return *id;
    };
    auto to_inside = [&](CredsRecord& c, std::vector<uint32_t>& groups) {
        for (int i = 0; i < 4; ++i) {
            c.uid[i] = inside(nss.uid_map, c.uid[i], "uid");
            c.gid[i] = inside(nss.gid_map, c.gid[i], "gid");
        }
        for (auto& g : groups) g = inside(nss.gid_map, g, "supplementary group");
    };
    to_inside(ps.core.creds, ps.groups);
    for (auto& t : ps.threads) to_inside(t.creds, t.groups);
}

double ns_to_ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

// One line naming every phase, in order, for dump.log (bench/cr_bench.sh reads it).
std::string describe_phases(const CheckpointReport& r) {
    const auto& m = r.memory;
    return fmt::format(
        "phases: prepare {:.1f} ms, freeze {:.1f} ms, seize {:.1f} ms, state {:.1f} ms, cow {:.1f} ms, memory {:.1f} ms "
        "(pagemap {:.1f} ms, read {:.1f} ms in {} calls, hand-off {:.1f} ms, wait {:.1f} ms; {} vmas, {} chunks, {} "
        "pages), finish {:.1f} ms; frozen {:.1f} ms",
        r.prepare_ms, r.freeze_ms, r.seize_ms, r.state_ms, r.cow_ms, r.memdump_ms, ns_to_ms(m.pagemap_ns),
        ns_to_ms(m.read_ns), m.readv_calls, ns_to_ms(m.hand_off_ns), ns_to_ms(m.wait_ns), m.vmas, m.chunks, m.pages,
        r.finish_ms, r.frozen_ms);
}

}  // namespace

CheckpointReport checkpoint_container(const runtime::StateStore& store, const CheckpointOptions& opts) {
    if (opts.pre_dump) return pre_dump_container(store, opts);
    const auto t0 = Clock::now();
    driver::register_fd_kinds();
    CheckpointReport report;
    // tcp://HOST:PORT streams the image to `myrt image receive`; the files
    // beside it (dump.log, stats-dump, inventory.img) stay here, in the work path.
    const bool remote = transport::is_tcp_address(opts.image_path);
    if (remote && opts.work_path.empty())
        fail("--image-path {} streams the image to a receiver: give --work-path for dump.log, stats-dump and "
             "inventory.img",
             opts.image_path);
    std::string work = opts.work_path.empty() ? opts.image_path : opts.work_path;
    if (!remote) driver::make_directories(opts.image_path);
    driver::make_directories(work);
    WorkLog log(work, "dump.log");
    try {
        auto lock = store.lock(opts.id);
        auto st = store.load(opts.id);
        auto status = runtime::current_status(store, st);
        if (status != runtime::Status::running && status != runtime::Status::paused)
            fail("container \"{}\" is {}: only a running or paused container can be checkpointed", opts.id,
                 runtime::status_name(status));
        log.line(fmt::format("checkpoint of container {} (init pid {}) into {}", opts.id, st.pid, opts.image_path));
        // Namespaces, root, fds and stdio of the init through a live task
        // (its leader may have called pthread_exit).
        const pid_t init_task = runtime::live_task_of(st.pid);
        auto nsstate = ns::dump_namespaces(init_task, ::getpid());
        log.line(fmt::format("own namespaces: {}", ns::describe_flags(nsstate.flags)));
        // cr/net: a network namespace the bundle joined by path (CNI, Podman) is
        // external, as in runc: not saved; the restore joins the one its bundle names.
        bool netns_external = false;
        for (auto& n : st.config.value("linux", nlohmann::json::object()).value("namespaces", nlohmann::json::array()))
            if (n.value("type", "") == "network" && !n.value("path", "").empty()) netns_external = true;
        if (netns_external && (nsstate.flags & ns::ns_net)) {
            nsstate.flags &= ~ns::ns_net;
            log.line("network namespace joined by path: external, not saved");
        }
        // cr/net: the container's own network namespace, read (and refused by
        // link name) before any task is touched.
        std::optional<net::NetnsConfig> netns_config;
        if (nsstate.flags & ns::ns_net) {
            netns_config = net::dump_netns_config(init_task);
            log.line(fmt::format("network namespace: {}", net::describe(*netns_config)));
        }
        if (!(nsstate.flags & ns::ns_pid))
            fail("not supported yet: checkpoint of container \"{}\" that shares the host's pid namespace", opts.id);
        if (nsstate.flags & ns::ns_user)
            log.line(fmt::format("user namespace: uid map {}, gid map {}", ns::describe_id_map(nsstate.uid_map),
                                 ns::describe_id_map(nsstate.gid_map)));

        // predump: the pages written since the last pre-dump, and the rest named as the parent's
        std::string why_none;
        auto tracking = adopt_dirty_tracking(store, st, why_none);
        if (!why_none.empty()) log.line(why_none);
        driver::ImageChain chain;
        driver::Lineage lineage;
        if (!opts.parent_path.empty()) {
            if (remote) fail("not supported yet: --parent-path with a tcp:// image path");
            const bool counts = tracking && tracking->epoch;
            chain = driver::open_image_chain(opts.image_path, opts.parent_path, opts.id, std::nullopt, std::nullopt, false);
            if (counts && *tracking->epoch != chain.images[0].lineage.id)
                fail("--parent-path {} is image {}, but the pages of container {} are tracked since image {} ({}): give "
                     "that one as the parent",
                     opts.parent_path, driver::format_image_id(chain.images[0].lineage.id), opts.id,
                     driver::format_image_id(*tracking->epoch), tracking->epoch_image);
            if (!counts) {
                log.line(fmt::format("no dirty tracking counts from {}: every page is dumped, and the image has no parent",
                                     opts.parent_path));
                chain = {};
            } else {
                const auto& parent = chain.images[0].lineage;
                if (parent.depth + 1 > image::max_chain_depth)
                    fail("--parent-path {} has {} images behind it: a chain is at most {} long", opts.parent_path,
                         parent.depth, image::max_chain_depth);
                lineage = {driver::new_image_id(), parent.id, parent.depth + 1, opts.id, opts.parent_path};
                log.line(fmt::format("parent {} (image {}, {} images behind it)", opts.parent_path,
                                     driver::format_image_id(parent.id), parent.depth));
            }
        }

        auto cg = cgroup::Cgroup::from_json(st.cgroup);
        // A file image goes to NAME.partial and becomes myrt.img only at
        // finish(); a stream counts only once the receiver has checked it
        // and said so. Connecting comes before the freeze: a receiver that
        // is not there fails the checkpoint with the container untouched.
        std::string image_file = remote ? opts.image_path : tools::image_stream_path(opts.image_path);
        if (!remote) ::unlink(image_file.c_str());
        auto sink = transport::open_sink(image_file);

        // Declared before the freezer so it is destroyed after it: on failure
        // a paused container is frozen again while its tasks are still
        // ptrace-stopped, and only then detached; none runs in between.
        std::optional<SeizedTree> seized;
        const auto freeze_start = Clock::now();
        report.prepare_ms = ms_since(t0);
        FreezeGuard freezer(cg, log);
        report.freeze_ms = ms_since(freeze_start);
        log.line(fmt::format("frozen in {:.1f} ms", report.freeze_ms));

        const auto seize_start = Clock::now();
        auto& tree = seized.emplace(st.pid, SeizeMode::checkpoint);
        report.seize_ms = ms_since(seize_start);
        log.line(fmt::format("seized {} processes in {:.1f} ms", tree.processes().size(), report.seize_ms));
        const auto state_start = Clock::now();
        freezer.thaw_for_dump();
        auto cg_pids = cg.pids();
        std::set<pid_t> in_tree;
        for (auto& p : tree.processes()) in_tree.insert(p.pid());
        for (auto& z : tree.zombies()) in_tree.insert(z.pid);
        for (pid_t p : cg_pids)
            if (!in_tree.count(p)) {
                std::string about;  // what it is, if it is still there to say
                try {
                    auto stat = read_proc_file(fmt::format("/proc/{}/stat", p));
                    auto close = stat.rfind(')');
                    auto open = stat.find('(');
                    if (open != std::string::npos && close != std::string::npos && close + 4 < stat.size())
                        about = fmt::format(" ({}, state {}, parent {})", stat.substr(open + 1, close - open - 1),
                                            stat[close + 2], std::atoi(stat.c_str() + close + 4));
                } catch (const Error&) {
                    about = " (gone since)";
                }
                fail("process {}{} is in the container's cgroup but not a descendant of its init {}", p, about, st.pid);
            }
        // --- cr/tty (begin): a terminal at the stdio is the console (dumped as a pty) or the caller's ---
        auto terminal = tty::find_stdio_terminal(init_task);
        if (terminal.present && !terminal.in_container && !opts.shell_job)
            fail("the stdio of container \"{}\" (fd {} of its init {}) is the caller's terminal {}: checkpoint it with "
                 "--shell-job, and restore it onto a terminal the same way",
                 opts.id, terminal.fd, st.pid, terminal.link);
        // --- cr/tty (end) ---
        objhash::ObjHash objs;
        // The container's stdio is what create handed its init: the same
        // objects at fd 0-2 of any task are re-attached to the restorer's.
        auto init_stdio = stdio_objects({init_task});
        files::DumpContext fctx{objs, fmt::format("/proc/{}/root", init_task),
                                [init_stdio, terminal](pid_t pid, int fd) {
                                    struct stat s {};
                                    return fd <= 2 && ::stat(fmt::format("/proc/{}/fd/{}", pid, fd).c_str(), &s) == 0 &&
                                           init_stdio.count({s.st_dev, s.st_ino}) > 0 &&
                                           !terminal.is_console_file(s.st_dev, s.st_ino);  // cr/tty: dumped as a pty
                                },
                                {}};
        fctx.init_pid = init_task;
        net::allow_external_unix_peers(fctx, opts.ext_unix_sk);  // cr/net
        net::configure_inet_dump(fctx, opts.tcp_established, netns_external);  // cr/net
        {
            // cr/net: the unix socket table is read before the collect pass, so
            // the descriptions in flight in its queues count as the container's.
            auto in_flight = net::unix_descriptions_in_flight(fctx);
            // Zombies have left the cgroup but still hold their namespaces.
            auto with_zombies = cg_pids;
            for (auto& z : tree.zombies()) with_zombies.push_back(z.pid);
            check_leaks(objs, with_zombies, st.pid, log, in_flight);
        }
        std::vector<pid_t> tgids;
        for (auto& p : tree.processes()) {
            files::check_fds(p.live_tid(), fctx);
            tgids.push_back(p.live_tid());
        }
        files::check_fd_tables_unshared(tgids);
        log.line(fmt::format("seized {} processes; no leaks", tree.processes().size()));

        image::RecordWriter writer(*sink);
        writer.write_head(image::make_head((opts.leave_running ? image::head_flag_leave_running : 0) |
                                           (chain.empty() ? 0 : image::head_flag_has_parent)));
        if (!chain.empty()) driver::write_lineage(writer, lineage);  // predump
        auto ns_bytes = driver::encode_namespaces(nsstate);
        writer.write_buffer(ns_bytes, driver::section::ns);
        if (netns_config) writer.write_buffer(net::encode_netns_config(*netns_config), driver::section::netns);  // cr/net
        if (nsstate.flags & ns::ns_mnt) {
            std::vector<std::pair<std::string, std::string>> mounts;
            for (auto& m : st.config.value("mounts", nlohmann::json::array()))
                mounts.emplace_back(m.value("destination", ""), m.value("type", ""));
            uint64_t entries = 0, bytes = 0;
            ns::dump_tmpfs_contents(
                init_task, ns::tmpfs_mounts_to_dump(mounts),
                [&](const ns::TmpfsEntry& e) {
                    writer.write_buffer(driver::encode_tmpfs_entry(e), driver::section::tmpfs_entry);
                    ++entries;
                },
                [&](std::span<const std::byte> d) {
                    writer.write_buffer(d, driver::section::tmpfs_data);
                    bytes += d.size();
                });
            log.line(fmt::format("tmpfs contents: {} entries, {} bytes", entries, bytes));
        }
        // --- cr/ipc (begin): the IPC namespace as a whole, before the processes ---
        {
            ipc::IpcCheckInput ipc_in{init_task, cg_pids, (nsstate.flags & ns::ns_ipc) != 0};
            auto is = ipc::dump_ipc_namespace(ipc_in, writer, [&](const std::string& l) { log.line(l); });
            if (ipc_in.own_ns)
                log.line(fmt::format("IPC namespace: {} segments ({} bytes of contents), {} queues, {} semaphore sets, {} "
                                     "POSIX queues, {} messages",
                                     is.shm, is.shm_bytes, is.msq, is.sem, is.mq, is.messages));
        }
        // --- cr/ipc (end) ---

        std::vector<ProcessState> states;
        for (auto& p : tree.processes()) {
            states.push_back(dump_process_state(p));
            if (nsstate.flags & ns::ns_user) creds_to_inside(states.back(), nsstate);
            // task: file locks, refused by name unless --file-locks
            states.back().file_locks = dump_file_locks(p.live_tid(), opts.file_locks);
            dump_tuning(p.live_tid(), states.back());  // a zombie leader has no status of its own
            for (auto& z : tree.zombies())
                if (z.parent == p.pid()) states.back().zombies.push_back(dump_zombie(z.pid, z.parent));
            auto bytes = driver::encode_process(states.back());
            if (bytes.size() > image::max_buffer_len)
                fail("process {} state is {} bytes, over the image's {} byte record limit", p.pid(), bytes.size(),
                     image::max_buffer_len);
            writer.write_buffer(bytes, driver::section::process);
            files::dump_fds(p.live_tid(), fctx, writer);
            report.threads += states.back().threads.size();
        }
        report.processes = states.size();
        auto id_plan = plan_tree_ids(states);  // groups and sessions the restore could not rebuild are refused now
        // proc20: a restore that forks children from their restored parents
        // rebuilds address spaces before fds, and a memfd mapping needs its fd.
        const bool cow_possible = std::none_of(states.begin(), states.end(), [](const ProcessState& s) {
            return std::any_of(s.vmas.begin(), s.vmas.end(),
                               [](const Vma& v) { return v.rec.deleted && v.path.starts_with("/memfd:"); });
        });

        report.state_ms = ms_since(state_start);
        const auto cow_start = Clock::now();
        // proc20: pages still shared copy-on-write with the parent that forks
        // the process on restore are the parent's; not dumped again. Found
        // before any memory is read: process_vm_readv pins what it reads, and
        // the kernel unshares a shared anonymous page it pins.
        std::vector<std::vector<PageRun>> cow_runs(states.size());
        uint64_t cow_pages = 0, parent_pages = 0;
        SelectionContext selection{&chain, tracking ? &*tracking : nullptr, false, [&log](const std::string& l) { log.line(l); }};
        for (size_t i = 1; i < states.size() && cow_possible; ++i) {
            if (id_plan.creator[i] == forked_by_session_holder) continue;
            size_t parent = id_plan.creator[i];
            cow_runs[i] = cow_shared_runs(tree.processes()[i].live_tid(), states[i].vmas,
                                          tree.processes()[parent].live_tid(), states[parent].vmas);
        }
        report.cow_ms = ms_since(cow_start);
        const auto mem_start = Clock::now();
        for (size_t i = 0; i < states.size(); ++i) {
            auto objref = driver::pages_objref(static_cast<uint32_t>(i));
            const auto& cow = cow_runs[i];
            for (const auto& r : cow) {
                writer.write<image::RecordType::cow_pages>(image::CowPagesRecord{r.start, r.npages}, objref);
                cow_pages += r.npages;
            }
            // predump: which pages (written since the parent, or all), then how:
            // pipelined, the next buffer is read while the previous ones are
            // written; the read buffers are pre-faulted, so a small process gets small ones.
            pid_t tid = tree.processes()[i].live_tid();
            auto pstat = runtime::read_proc_stat(tree.processes()[i].pid());
            const auto select_start = Clock::now();  // the pagemap walk (and PAGEMAP_SCAN of a tracked process)
            auto sel = select_pages(tid, pstat ? pstat->start_time : 0, inner_pid_of(states[i]), states[i].vmas, cow,
                                    selection, nullptr);
            report.memory.pagemap_ns += static_cast<uint64_t>(ms_since(select_start) * 1e6);
            for (const auto& r : sel.plan.in_parent)
                writer.write<image::RecordType::parent_pages>(image::ParentPagesRecord{r.start, r.npages}, objref);
            parent_pages += count_pages(sel.plan.in_parent);
            uint64_t mapped = 0;
            for (auto& v : states[i].vmas)
                if (!v.is_special()) mapped += v.size();
            auto stats = dump_runs_to_image(tid, states[i].vmas, sel.plan.dump, writer, objref, dump_buffers_for(mapped));
            report.pages += stats.pages;
            report.memory += stats;
            uint32_t index = static_cast<uint32_t>(i);
            writer.write_buffer(std::as_bytes(std::span(&index, 1)), driver::section::memory_end);
        }
        report.memdump_ms = ms_since(mem_start);
        if (cow_pages) log.line(fmt::format("{} pages shared copy-on-write with a parent, not dumped again", cow_pages));
        if (!chain.empty())
            log.line(fmt::format("{} pages not written since parent {}: taken from it on restore", parent_pages,
                                 opts.parent_path));
        const auto finish_start = Clock::now();
        writer.finish();
        report.finish_ms = ms_since(finish_start);
        report.image_bytes = writer.bytes_written();
        log.line(fmt::format("image {}: {} processes, {} threads, {} pages, {} bytes; memory in {:.1f} ms", image_file,
                             report.processes, report.threads, report.pages, report.image_bytes, report.memdump_ms));
        driver::write_file_atomic(remote ? work : opts.image_path, "inventory.img", driver::encode_inventory());

        report.frozen_ms = ms_since(freeze_start);
        report.total_ms = ms_since(t0);
        // Everything callers look for is written before the container is
        // killed: a failure up to here leaves it running.
        driver::DumpStats ds;
        ds.freezing_time_us = static_cast<uint32_t>(report.freeze_ms * 1000);
        ds.frozen_time_us = static_cast<uint32_t>(report.frozen_ms * 1000);
        // CRIU's split: memdump is getting the pages out of the tasks,
        // memwrite is putting them into the image (here: handing them to
        // the writer, waiting for it, and finishing the image).
        const auto& m = report.memory;
        ds.memdump_time_us = static_cast<uint32_t>((m.pagemap_ns + m.read_ns) / 1000);
        ds.memwrite_time_us = static_cast<uint32_t>((m.hand_off_ns + m.wait_ns) / 1000 + report.finish_ms * 1000);
        ds.pages_scanned = report.pages;
        ds.pages_written = report.pages;
        driver::write_file_atomic(work, "stats-dump", driver::encode_stats_dump(ds));
        log.line(fmt::format("checkpoint written in {:.1f} ms (frozen {:.1f} ms)", report.total_ms, report.frozen_ms));
        log.line(describe_phases(report));
        // predump: the tracking has served its last dump (the holder stops, the
        // userfaultfds close and the kernel unregisters the VMAs).
        end_dirty_tracking(store, st);
        log.line(opts.leave_running ? "leaving the container running" : "killing the container");
        log.flush();

        const auto release_start = Clock::now();
        if (opts.leave_running) {
            net::release_inet_dump(fctx);  // cr/net: connections out of repair mode before the tasks run
            freezer.finish();
            tree.detach();
        } else {
            // Frozen again before the detach, so no task runs a single
            // instruction past the dumped state; SIGKILL reaches frozen tasks.
            cg.freeze(cgroup::FreezerChoice::v2);
            net::commit_inet_dump(fctx);  // cr/net: connections die in repair mode, peers see nothing
            tree.detach();
            cg.kill_all(SIGKILL);
            cg.thaw();
            freezer.release();
            if (!runtime::wait_for_exit(st.pid, st.pid_start_time, 5000))
                log::warn("container {} init {} still exists 5 s after SIGKILL", opts.id, st.pid);
            // As runc: the container is gone, so `restore` may reuse its id at once.
            runtime::destroy_container(store, st);
            log.line("container removed");
        }
        report.release_ms = ms_since(release_start);
        log.line(fmt::format("phase release ({}) {:.1f} ms", opts.leave_running ? "resumed" : "killed and removed",
                             report.release_ms));
        log.flush();
        return report;
    } catch (const std::exception& e) {
        // Destructors have run: tasks detached, cgroup as found, NAME.partial gone.
        log.line(fmt::format("checkpoint failed: {}", e.what()));
        log.flush_noexcept();
        throw;
    }
}

}  // namespace myrt::cr
