#include "runtime/cli/cli.hpp"
#include "runtime/create.hpp"
#include "runtime/fs_util.hpp"

namespace myrt::cli {

// Options shared by create, run and restore.
void add_create_options(CLI::App* c, runtime::CreateOptions& o) {
    c->add_option("-b,--bundle", o.bundle, "path to the bundle directory (default: current directory)");
    c->add_option("--pid-file", o.pid_file, "write the container's host pid to this file");
    c->add_option("--console-socket", o.console_socket, "unix socket that receives the pty master");
    c->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE and chroot instead of pivot_root");
    c->add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
    c->add_option("--preserve-fds", o.preserve_fds, "pass N extra file descriptors (3..3+N-1) to the container");
    c->add_option("id", o.id, "container id")->required();
}

void absolutize(runtime::CreateOptions& o) {
    if (!o.pid_file.empty()) o.pid_file = runtime::absolute_path(o.pid_file);
    if (!o.console_socket.empty()) o.console_socket = runtime::absolute_path(o.console_socket);
    o.bundle = runtime::absolute_path(o.bundle.empty() ? "." : o.bundle);
}

Runner add_create(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("create", "create a container, its process waiting for start");
    auto o = std::make_shared<runtime::CreateOptions>();
    add_create_options(c, *o);
    return [&g, o] {
        absolutize(*o);
        o->cgroup_parent = g.cgroup_parent;
        runtime::create_container(g.store(), *o);
        return 0;
    };
}

}  // namespace myrt::cli
