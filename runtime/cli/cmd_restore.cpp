#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cr/restore/restore.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/console.hpp"
#include "runtime/lifecycle.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"
#include "runtime/create.hpp"
#include "util/error.hpp"

namespace myrt::cli {
namespace {
struct RestoreArgs {
    std::string image_path, work_path, manage_cgroups_mode, lsm_profile, lsm_mount_context;
    std::vector<std::string> empty_ns, external;
    bool tcp_established = false, tcp_close = false, ext_unix_sk = false, shell_job = false, file_locks = false, detach = false,
         no_subreaper = false, lazy_pages = false, auto_dedup = false;
    runtime::CreateOptions create;
};
}  // namespace

void add_create_options(CLI::App* c, runtime::CreateOptions& o);
void absolutize(runtime::CreateOptions& o);

namespace {
volatile pid_t g_restored_init = 0;
void forward_to_restored(int sig) {
    if (g_restored_init > 0) ::kill(g_restored_init, sig);
}
}  // namespace

Runner add_restore(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("restore", "restore a container from a checkpoint image");
    auto a = std::make_shared<RestoreArgs>();
    add_create_options(c, a->create);
    c->add_option("--image-path", a->image_path, "directory holding the image (default ./checkpoint)");
    c->add_option("--work-path", a->work_path, "directory for restore.log and stats-restore");
    c->add_flag("--tcp-established", a->tcp_established, "restore established TCP connections");
    c->add_flag("--tcp-close", a->tcp_close, "restore established TCP connections as closed sockets");
    c->add_flag("--ext-unix-sk", a->ext_unix_sk, "allow unix sockets whose peer is outside the container");
    c->add_flag("--shell-job", a->shell_job, "attach to the caller's terminal");
    c->add_flag("--file-locks", a->file_locks, "restore file locks");
    c->add_flag("-d,--detach", a->detach, "detach from the restored container");
    c->add_flag("--no-subreaper", a->no_subreaper, "do not become a subreaper");
    c->add_flag("--lazy-pages", a->lazy_pages, "fetch memory on demand");
    c->add_flag("--auto-dedup", a->auto_dedup, "deduplicate the image while restoring");
    c->add_option("--manage-cgroups-mode", a->manage_cgroups_mode, "soft, full, strict or ignore");
    c->add_option("--empty-ns", a->empty_ns, "namespace left out of the image (repeatable)")->allow_extra_args(false);
    c->add_option("--external", a->external, "an external object (repeatable)")->allow_extra_args(false);
    c->add_option("--lsm-profile", a->lsm_profile, "accepted for runc compatibility");
    c->add_option("--lsm-mount-context", a->lsm_mount_context, "accepted for runc compatibility");
    return [&g, a] {
        if (a->lazy_pages) fail("not supported yet: --lazy-pages");
        if (a->auto_dedup) fail("not supported yet: --auto-dedup");
        if (!a->empty_ns.empty()) fail("not supported yet: --empty-ns {}", a->empty_ns.front());
        if (!a->external.empty()) fail("not supported yet: --external {}", a->external.front());
        absolutize(a->create);
        a->create.cgroup_parent = g.cgroup_parent;
        cr::RestoreOptions o;
        o.create = a->create;
        if (!a->image_path.empty()) o.image_path = a->image_path;
        o.work_path = a->work_path;
        o.detach = a->detach;
        o.tcp_close = a->tcp_close;  // cr/net
        auto store = g.store();
        auto report = cr::restore_container(store, o);
        UniqueFd master(report.terminal_master);
        if (a->detach) return 0;
        // In the foreground, as runc: wait for the restored init (our child:
        // create cloned it), pass signals on, then remove the container.
        pid_t pid = report.init_pid;
        g_restored_init = pid;
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) ::signal(s, forward_to_restored);
        int code;
        if (master) {
            code = runtime::proxy_terminal_until_exit(master.get(), pid);
        } else {
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) throw_errno("wait for the restored container's init {}", pid);
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        try {
            runtime::delete_container(store, a->create.id, true);
        } catch (const std::exception& e) {
            log::warn("delete {} after its restored init exited: {}", a->create.id, e.what());
        }
        return code;
    };
}
}  // namespace myrt::cli
