#include "cr/restore/restore.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <optional>
#include <set>

#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "cr/driver/criu_files.hpp"
#include "cr/driver/fd_kinds_all.hpp"
#include "cr/driver/work_log.hpp"
#include "cr/files/files.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/ipc/restore_ipc.hpp"  // cr/ipc
#include "cr/net/inet_socket.hpp"  // cr/net
#include "cr/net/netns_config.hpp"  // cr/net
#include "cr/objhash/deferred_queue.hpp"
#include "cr/objhash/objhash.hpp"
#include "cr/ptrace/inject.hpp"
#include "cr/driver/codec.hpp"
#include "cr/driver/sections.hpp"
#include "cr/ns/ns_state.hpp"
#include "cr/ns/tmpfs_contents.hpp"
#include "cr/restore/bundle_check.hpp"
#include "cr/restore/image_index.hpp"
#include "cr/restore/restore_tree_streamed.hpp"
#include "cr/driver/image_chain.hpp"  // predump
#include "cr/restore/task_access.hpp"
#include "cr/task/file_locks.hpp"
#include "cr/tools/image_layout.hpp"
#include "cr/transport/open_stream.hpp"
#include "cr/transport/file_stream.hpp"
#include "cr/transport/tcp_stream.hpp"
#include "cr/tty/pty.hpp"  // cr/tty
#include "runtime/lifecycle.hpp"
#include "runtime/pid_file.hpp"
#include "runtime/security/capabilities.hpp"
#include "spec/config.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace myrt::cr {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// create_container returns once the placeholder said it parks; it closes its
// extra fds just after. Wait until it sits in pause(2), so the seize finds
// the final state.
void wait_parked(pid_t pid) {
    auto path = fmt::format("/proc/{}/syscall", pid);
    for (int i = 0; i < 5000; ++i) {
        std::ifstream f(path);
        std::string first;
        // "running" while it still runs; the syscall number once it blocks.
        if (!(f >> first)) fail("the container's placeholder process {} is gone", pid);
        if (first == "34" /* pause */) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    fail("the container's placeholder process {} did not park in pause(2) within 5 s", pid);
}

// The placeholder's fds 0-2 are the container's stdio as create set it up
// (the caller's, or the console pty): the same open file descriptions stand
// for the image's inherited stdio.
std::array<UniqueFd, 3> stdio_of(pid_t pid) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw_errno("pidfd_open of the placeholder {}", pid);
    std::array<UniqueFd, 3> out;
    for (int fd = 0; fd < 3; ++fd) {
        out[static_cast<size_t>(fd)].reset(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
        if (!out[static_cast<size_t>(fd)]) throw_errno("pidfd_getfd of fd {} of the placeholder {}", fd, pid);
    }
    return out;
}

// The bundle's process as the maker of tmpfs entries, in host ids (through
// the bundle's maps with a user namespace), with the capabilities it starts with.
ns::TmpfsMaker tmpfs_maker(const spec::Config& config, bool userns) {
    ns::TmpfsMaker m;
    if (!config.process) return m;
    const auto& proc = *config.process;
    auto to_host = [&](const std::vector<spec::IdMapping>& maps, uint32_t id) {
        if (!userns) return id;
        for (const auto& r : maps)
            if (id >= r.container_id && id - r.container_id < r.size) return r.host_id + (id - r.container_id);
        return id;  // unmapped: nothing in the tmpfs can carry it
    };
    m.uid = to_host(config.linux.uid_mappings, proc.user.uid);
    m.gid = to_host(config.linux.gid_mappings, proc.user.gid);
    for (auto g : proc.user.additional_gids) m.groups.push_back(to_host(config.linux.gid_mappings, g));
    if (proc.capabilities)
        for (const auto* set : {&proc.capabilities->permitted, &proc.capabilities->effective})
            for (const auto& n : *set)
                if (auto c = security::cap_from_name(n)) m.caps |= 1ull << *c;
    return m;
}

}  // namespace

RestoreReport restore_container(const runtime::StateStore& store, const RestoreOptions& opts) {
    const auto t0 = Clock::now();
    driver::register_fd_kinds();
    RestoreReport report;
    if (transport::is_tcp_address(opts.image_path))
        fail("restore reads an image from a directory, not from {}: store the stream first with `myrt image "
             "receive --listen ADDR:PORT --image-path DIR`, then restore from DIR",
             opts.image_path);
    std::string work = opts.work_path.empty() ? opts.image_path : opts.work_path;
    driver::make_directories(work);
    WorkLog log(work, "restore.log");
    bool created = false;
    objhash::DeferredQueue deferred;  // work that waits for the whole restore (cr/ipc: IPC_RMID of deleted segments)
    try {
        auto image_file = tools::image_stream_path(opts.image_path);
        log.line(fmt::format("restore of container {} from {}", opts.create.id, image_file));
        // The bundle first: its limits bound what the first pass holds.
        auto config = spec::load_config(opts.create.bundle);
        auto grants = bundle_grants(config);
        auto limits = host_index_limits();
        if (grants.pids_limit > 0) limits.max_tasks = static_cast<uint64_t>(grants.pids_limit);
        driver::ImageChain chain;  // predump: holds the parent images' fds until the tasks are filled
        auto idx = read_image_index(image_file, limits);
        check_image_against_bundle(idx, config, grants, read_host_limits());
        // predump: the pages named as the parent's, found through the chain
        // (each parent checked, its page contents against its TAIL) before
        // anything is created.
        if (idx.lineage) {
            auto tc = Clock::now();
            chain = driver::open_image_chain(opts.image_path, idx.lineage->parent_path, idx.lineage->container_id,
                                             idx.lineage->parent_id, idx.lineage->depth - 1, true);
            idx.parent_extents.resize(idx.processes.size());
            for (size_t i = 0; i < idx.processes.size(); ++i) {
                const auto& ids = idx.processes[i].core.ids;
                idx.parent_extents[i] = driver::resolve_parent_pages(chain, ids.ns_pid[ids.ns_depth - 1], idx.parent_pages[i]);
            }
            std::string names;
            for (const auto& img : chain.images) names += fmt::format(" {} ({} pages)", img.name, img.pages);
            log.line(fmt::format("parent chain:{}; {} pages of this image are taken from it; chain checked in {:.1f} ms",
                                 names, idx.total_parent_pages, ms_since(tc)));
        }
        report.validate_ms = ms_since(t0);
        report.pages = idx.total_pages;
        log.line(fmt::format("image checked: {} processes, {} pages, namespaces {}", idx.processes.size(),
                             idx.total_pages, ns::describe_flags(idx.ns.flags)));

        auto t = Clock::now();
        runtime::CreateOptions co = opts.create;
        co.restore_placeholder = true;
        co.pid_file.clear();  // written once the tasks are restored
        co.foreground_terminal = !opts.detach;
        auto res = runtime::create_container(store, co);
        created = true;
        report.terminal_master = res.terminal_master;
        report.init_pid = res.state.pid;
        report.create_ms = ms_since(t);
        log.line(fmt::format("container created, placeholder pid {} ({:.1f} ms)", res.state.pid, report.create_ms));

        wait_parked(res.state.pid);
        ns::restore_namespaces(res.state.pid, idx.ns);
        if (idx.netns) {  // cr/net: before any socket binds to one of its addresses
            net::restore_netns_config(res.state.pid, *idx.netns);
            log.line(fmt::format("network namespace restored: {}", net::describe(*idx.netns)));
        }

        // Second pass: everything but page contents was checked by the first;
        // now read it again for real, files sections creating their objects,
        // memory streamed, and the page contents checked against TAIL before
        // any task runs.
        auto source = transport::open_source(image_file);
        image::RecordReader reader(*source);
        // Page contents are read from here too, on two threads (page_fill_lanes.hpp).
        UniqueFd image_fd = transport::open_image_for_reading(image_file);
        reader.read_head();
        driver::read_lineage(reader);  // predump: checked by the first pass
        if (!reader.next()) fail("image {} changed while it was being restored", image_file);
        reader.skip_payload();  // namespaces, restored above
        // tmpfs contents, before any task: a task may map one of those files.
        auto h = reader.next();
        {
            std::set<std::string> allowed;
            for (auto& m : config.mounts)
                if (m.type == "tmpfs") allowed.insert(m.destination);
            ns::TmpfsRestorer tmpfs(res.state.pid, allowed, tmpfs_maker(config, idx.ns.flags & ns::ns_user));
            std::optional<ipc::IpcRestorer> ipc_restorer;  // cr/ipc
            for (; h && h->objref != driver::section::process; h = reader.next()) {
                if (ipc::is_ipc_record(*h)) {  // cr/ipc: checked against the namespace before the first object
                    if (!ipc_restorer) ipc_restorer.emplace(res.state.pid, idx.ipc, deferred);
                    ipc_restorer->feed(reader, *h);
                } else if (h->objref == driver::section::netns) {  // cr/net: applied above
                    reader.skip_payload();
                } else if (h->objref == driver::section::tmpfs_entry) {
                    tmpfs.end();
                    tmpfs.begin(driver::decode_tmpfs_entry(reader.read_buffer()));
                } else if (h->objref == driver::section::tmpfs_data) {
                    tmpfs.data(reader.read_buffer());
                } else {
                    fail("image {} changed while it was being restored", image_file);
                }
            }
            tmpfs.end();
            // --- cr/ipc (begin) ---
            if (ipc_restorer) {
                ipc_restorer->finish(reader);
                log.line(fmt::format("IPC namespace restored: {}", ipc_restorer->summary()));
            }
            // --- cr/ipc (end) ---
        }
        if (!h) fail("image {} changed while it was being restored", image_file);
        std::vector<SeizedProcess> procs;
        TreeRestoreTimings timings;
        {
            // The restorer's copies of files and pipes live in `objs`: it is
            // destroyed before the tasks run, or a restored reader would never
            // see EOF on a pipe whose write end we still hold.
            objhash::ObjHash objs;
            auto caller_stdio = stdio_of(res.state.pid);
            files::RestoreContext fctx{objs, fmt::format("/proc/{}/root", res.state.pid),
                                       {caller_stdio[0].get(), caller_stdio[1].get(), caller_stdio[2].get()}};
            fctx.init_pid = res.state.pid;
            // Each process's paths, fds, watches and sockets are made on a
            // thread with its own credentials (one thread per distinct set).
            UniqueFd root_fd(::open(fctx.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!root_fd) throw_errno("open the container root {}", fctx.root);
            const pid_t userns_of = (idx.ns.flags & ns::ns_user) ? res.state.pid : 0;
            std::vector<std::unique_ptr<files::AsTask>> as_tasks;
            auto as_task_for = [&](const ProcessState& p) -> files::AsTask& {
                auto creds = host_credentials(p, userns_of);
                for (auto& a : as_tasks)
                    if (a->credentials() == creds) return *a;
                return *as_tasks.emplace_back(std::make_unique<files::AsTask>(std::move(creds)));
            };
            net::configure_inet_restore(fctx, opts.tcp_close);  // cr/net
            std::vector<files::FdTable> tables;
            for (size_t i = 0; i < idx.processes.size(); ++i) {
                if (i > 0 && !reader.next()) fail("image {} changed while it was being restored", image_file);
                reader.skip_payload();  // the process state, decoded by the first pass
                fctx.as_task = &as_task_for(idx.processes[i]);
                check_task_paths(idx.processes[i], *fctx.as_task, root_fd.get());
                tables.push_back(files::read_fds(reader, fctx));
            }
            fctx.as_task = nullptr;
            as_tasks.clear();
            procs = restore_tree_streamed(SeizedProcess(res.state.pid, SeizeMode::restore), idx, reader, image_fd.get(), timings,
                                          [&](size_t i, SeizedProcess& p) {
                                              Injector inj(p.live_tid());
                                              files::restore_fds(p.pid(), inj, fctx, tables[i]);
                                              inj.finish();
                                          },
                                          [&](SeizedProcess& p, int32_t sid) {  // cr/tty
                                              tty::make_controlling_terminal(p.pid(), sid, fctx);
                                          });
            // F_SETOWN_EX may name any task of the container: set once all exist.
            for (size_t i = 0; i < procs.size(); ++i) {
                Injector inj(procs[i].live_tid());
                files::restore_fd_owners(procs[i].pid(), inj, tables[i]);
                inj.finish();
            }
        }
        deferred.run();  // cr/ipc: every task is restored, deleted segments are attached again
        report.forking_ms = timings.forking_ms;
        report.restore_ms = timings.restore_ms;
        // task: file locks once every fd and mapping is in place (closing any
        // fd of a file, as mapping it does, would drop a POSIX lock).
        for (size_t i = 0; i < procs.size(); ++i) restore_file_locks(procs[i].live_tid(), idx.processes[i].file_locks);
        for (auto& p : procs) p.detach();
        log.line(fmt::format("tasks restored: forking {:.1f} ms, state and memory {:.1f} ms ({} bytes, {} of them by "
                             "userfaultfd copy)",
                             timings.forking_ms, timings.restore_ms, timings.bytes, timings.copied_bytes));
        if (!opts.create.pid_file.empty()) runtime::write_pid_file(opts.create.pid_file, res.state.pid);
        report.total_ms = ms_since(t0);
        driver::RestoreStats rs;
        rs.forking_time_us = static_cast<uint32_t>(report.forking_ms * 1000);
        rs.restore_time_us = static_cast<uint32_t>(report.total_ms * 1000);
        rs.pages_restored = idx.total_pages;
        driver::write_file_atomic(work, "stats-restore", driver::encode_stats_restore(rs));
        log.line(fmt::format("restore done in {:.1f} ms", report.total_ms));
        log.flush();
        return report;
    } catch (const std::exception& e) {
        log.line(fmt::format("restore failed: {}", e.what()));
        if (report.terminal_master >= 0) ::close(report.terminal_master);
        if (created) {
            try {
                runtime::delete_container(store, opts.create.id, true);
            } catch (const std::exception& de) {
                log.line(fmt::format("removing the half-restored container failed too: {}", de.what()));
                log::error("removing the half-restored container {} failed: {}", opts.create.id, de.what());
            }
        }
        log.flush_noexcept();
        throw;
    }
}

}  // namespace myrt::cr
