#include <unistd.h>

#include "cr/checkpoint/checkpoint.hpp"
#include "runtime/cli/cli.hpp"
#include "util/error.hpp"

namespace myrt::cli {
namespace {
struct CheckpointArgs {
    std::string image_path, work_path, parent_path, manage_cgroups_mode, page_server;
    std::vector<std::string> empty_ns, external;
    bool leave_running = false, tcp_established = false, ext_unix_sk = false, shell_job = false,
         file_locks = false, pre_dump = false, lazy_pages = false, auto_dedup = false;
    int status_fd = -1;
    std::string id;
};
}  // namespace

Runner add_checkpoint(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("checkpoint", "checkpoint a running or paused container");
    // What the dump takes and what it refuses (docs/cr-files.md, cr-process.md, cr-ipc.md).
    c->footer(
        "Open files and kernel objects saved: regular, deleted and directory files, pipes and FIFOs with their data,\n"
        "null/zero/random devices, eventfd, epoll (with its registrations), signalfd, timerfd, inotify (watches; no\n"
        "events pending), memfd (contents, seals), pidfd (of the task or an ancestor), ptys, AF_UNIX sockets, TCP and UDP\n"
        "sockets (IPv4, IPv6; established TCP connections with --tcp-established).\n"
        "Also saved: the IPC namespace (SysV shared memory, message queues, semaphores; POSIX message queues),\n"
        "interval and POSIX timers, file locks (with --file-locks), stopped tasks and interrupted sleeps and waits.\n"
        "Refused (the checkpoint fails naming the object, the fd and the pid; the container keeps running):\n"
        "io_uring, userfaultfd, fanotify, perf_event, bpf maps and programs, other sockets (netlink, packet, raw...),\n"
        "block devices, zombies killed with a core dump, tasks inside vfork or under a debugger, mappings of deleted files,\n"
        "file leases, and any object not listed above.");
    auto a = std::make_shared<CheckpointArgs>();
    c->add_option("--image-path", a->image_path, "directory for the image (default ./checkpoint), or tcp://HOST:PORT to stream it to `myrt image receive` (needs --work-path)");
    c->add_option("--work-path", a->work_path, "directory for dump.log and stats-dump");
    c->add_option("--parent-path", a->parent_path, "the last pre-dump's image, ../NAME beside --image-path: only pages written since it are dumped");
    c->add_flag("--leave-running", a->leave_running, "keep the container running after the checkpoint");
    c->add_flag("--tcp-established", a->tcp_established, "allow established TCP connections");
    c->add_flag("--ext-unix-sk", a->ext_unix_sk, "allow unix sockets whose peer is outside the container");
    c->add_flag("--shell-job", a->shell_job, "allow a controlling terminal shared with the caller");
    c->add_flag("--file-locks", a->file_locks, "checkpoint file locks");
    c->add_flag("--pre-dump", a->pre_dump, "dump memory only while the container keeps running, and track the pages it writes from then on");
    c->add_flag("--lazy-pages", a->lazy_pages, "leave memory to be fetched on demand after restore");
    c->add_flag("--auto-dedup", a->auto_dedup, "deduplicate against the parent image");
    c->add_option("--page-server", a->page_server, "ADDRESS:PORT of a page server");
    c->add_option("--status-fd", a->status_fd, "fd to write to when the dump is ready");
    c->add_option("--manage-cgroups-mode", a->manage_cgroups_mode, "soft, full, strict or ignore");
    c->add_option("--empty-ns", a->empty_ns, "namespace to leave out of the image (repeatable)")->allow_extra_args(false);
    c->add_option("--external", a->external, "declare an object external (repeatable)")->allow_extra_args(false);
    c->add_option("id", a->id, "container id")->required();
    return [&g, a] {
        // Features whose engine part is not built: refused by name, never ignored.
        if (a->lazy_pages) fail("not supported yet: --lazy-pages");
        if (!a->page_server.empty()) fail("not supported yet: --page-server");
        if (a->auto_dedup) fail("not supported yet: --auto-dedup");
        if (!a->empty_ns.empty()) fail("not supported yet: --empty-ns {}", a->empty_ns.front());
        if (!a->external.empty()) fail("not supported yet: --external {}", a->external.front());
        cr::CheckpointOptions o;
        o.id = a->id;
        if (!a->image_path.empty()) o.image_path = a->image_path;
        o.work_path = a->work_path;
        o.ext_unix_sk = a->ext_unix_sk;  // cr/net
        o.tcp_established = a->tcp_established;  // cr/net
        o.leave_running = a->leave_running;
        o.shell_job = a->shell_job;  // cr/tty
        o.file_locks = a->file_locks;
        o.pre_dump = a->pre_dump;          // predump: memory only, dirty tracking starts
        o.parent_path = a->parent_path;    // predump: only the pages written since that pre-dump
        auto store = g.store();
        cr::checkpoint_container(store, o);
        if (a->status_fd >= 0) {
            // runc writes to --status-fd once the dump is complete.
            char zero = 0;
            if (::write(a->status_fd, &zero, 1) != 1) throw_errno("write to --status-fd {}", a->status_fd);
            ::close(a->status_fd);
        }
        return 0;
    };
}
}  // namespace myrt::cli
