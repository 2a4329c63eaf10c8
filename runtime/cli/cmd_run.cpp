#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cli/cli.hpp"
#include "runtime/console.hpp"
#include "runtime/create.hpp"
#include "runtime/lifecycle.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cli {

void add_create_options(CLI::App* c, runtime::CreateOptions& o);
void absolutize(runtime::CreateOptions& o);

namespace {
volatile pid_t g_forward_to = 0;
void forward(int sig) {
    if (g_forward_to > 0) ::kill(g_forward_to, sig);
}
}  // namespace

Runner add_run(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("run", "create and start a container");
    auto o = std::make_shared<runtime::CreateOptions>();
    auto detach = std::make_shared<bool>(false);
    auto keep = std::make_shared<bool>(false);
    add_create_options(c, *o);
    c->add_flag("-d,--detach", *detach, "detach from the container's process");
    c->add_flag("--keep", *keep, "do not delete the container after it exits");
    return [&g, o, detach, keep] {
        absolutize(*o);
        o->cgroup_parent = g.cgroup_parent;
        o->foreground_terminal = !*detach;
        o->start_immediately = true;
        auto store = g.store();
        auto created = runtime::create_container(store, *o);
        UniqueFd master(created.terminal_master);
        pid_t pid = created.state.pid;
        if (!*detach) {
            g_forward_to = pid;
            for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) ::signal(s, forward);
        }
        try {
            runtime::finish_immediate_start(created.state, created.exec_watch);
        } catch (...) {
            try {
                runtime::delete_container(store, o->id, true);
            } catch (...) {
            }
            throw;
        }
        if (*detach) return 0;
        int code;
        if (master) {
            code = runtime::proxy_terminal_until_exit(master.get(), pid);
        } else {
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) throw_errno("wait for the container process");
            }
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (!*keep) {
            try {
                runtime::delete_container(store, o->id, true);
            } catch (const std::exception& e) {
                log::warn("delete {} after run: {}", o->id, e.what());
            }
        }
        return code;
    };
}

}  // namespace myrt::cli
