#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/exec.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/security/user.hpp"
#include "spec/config.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cli {
namespace {
struct ExecArgs {
    std::string process_file, pid_file, console_socket, cwd, user, apparmor, label;
    std::vector<std::string> env, caps, additional_gids, cgroups;
    bool detach = false, tty = false, no_new_privs = false, ignore_paused = false;
    int preserve_fds = 0;
    std::string id;
    std::vector<std::string> rest;  // CMD ARGS...
};

// --cgroup PATH or CONTROLLER[,CONTROLLER]:PATH, as runc's exec takes them.
std::map<std::string, std::string> parse_cgroup_options(const std::vector<std::string>& options) {
    std::map<std::string, std::string> below;
    for (auto& opt : options) {
        auto colon = opt.find(':');
        if (colon == std::string::npos) {
            below[""] = opt;
            continue;
        }
        std::string path = opt.substr(colon + 1), controllers = opt.substr(0, colon);
        if (controllers.empty()) {
            below[""] = path;
            continue;
        }
        for (auto& c : cgroup::fs::split(controllers, ',')) {
            if (c.empty()) fail("exec --cgroup {}: an empty controller name", opt);
            if (!below.emplace(c, path).second) fail("exec --cgroup: controller {} given twice", c);
        }
    }
    return below;
}

int exec_with(GlobalOptions& g, const ExecArgs* a) {
    auto store = g.store();
    runtime::ExecOptions o;
    o.id = a->id;
    std::vector<std::string> args = a->rest;
    auto st = store.load(o.id);
    spec::Config cfg = spec::parse_config(st.config);
    if (!a->process_file.empty()) {
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(runtime::read_file(a->process_file));
        } catch (const nlohmann::json::exception& e) {
            fail("exec --process {}: invalid JSON: {}", a->process_file, e.what());
        }
        o.process = spec::parse_process(j);
    } else {
        if (args.empty()) fail("exec: a command is required (or --process FILE)");
        o.process = cfg.process ? *cfg.process : spec::Process{};
        o.process.args = args;
        o.process.terminal = a->tty;
    }
    if (a->tty) o.process.terminal = true;
    for (auto& e : a->env) o.process.env.push_back(e);
    if (!a->cwd.empty()) o.process.cwd = a->cwd;
    if (!a->user.empty()) o.process.user = security::resolve_user(st.rootfs, a->user);
    for (auto& gid : a->additional_gids) o.process.user.additional_gids.push_back(static_cast<uint32_t>(std::stoul(gid)));
    if (a->no_new_privs) o.process.no_new_privileges = true;
    if (!a->caps.empty()) {
        if (!o.process.capabilities) o.process.capabilities = spec::Capabilities{};
        auto& cp = *o.process.capabilities;
        // runc's three sets; and the ambient set when the process has inheritable capabilities,
        // without which ambient ones cannot be raised.
        bool to_ambient = !cp.inheritable.empty();
        for (auto& cap : a->caps) {
            for (auto* set : {&cp.bounding, &cp.effective, &cp.permitted}) set->push_back(cap);
            if (to_ambient) cp.ambient.push_back(cap);
        }
    }
    o.detach = a->detach;
    o.ignore_paused = a->ignore_paused;
    o.pid_file = a->pid_file.empty() ? "" : runtime::absolute_path(a->pid_file);
    o.console_socket = a->console_socket.empty() ? "" : runtime::absolute_path(a->console_socket);
    o.preserve_fds = a->preserve_fds;
    o.cgroup_below = parse_cgroup_options(a->cgroups);
    return runtime::exec_in_container(store, o);
}
}  // namespace

Runner add_exec(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("exec", "run a new process inside a container");
    auto a = std::make_shared<ExecArgs>();
    c->add_option("-p,--process", a->process_file, "process.json describing the process");
    c->add_option("--pid-file", a->pid_file, "write the process's host pid to this file");
    c->add_option("--console-socket", a->console_socket, "unix socket that receives the pty master");
    c->add_option("--cwd", a->cwd, "working directory");
    c->add_option("-u,--user", a->user, "uid[:gid] or user name");
    c->add_option("-e,--env", a->env, "KEY=VALUE to add to the environment (repeatable)")->allow_extra_args(false);
    c->add_option("-c,--cap", a->caps, "add a capability (repeatable)")->allow_extra_args(false);
    c->add_option("-g,--additional-gids", a->additional_gids, "additional group ids")->allow_extra_args(false);
    c->add_option("--cgroup", a->cgroups, "run in a sub-cgroup: PATH, or CONTROLLER[,CONTROLLER]:PATH (repeatable)")
        ->allow_extra_args(false);
    c->add_option("--apparmor", a->apparmor, "accepted for runc compatibility; no AppArmor here");
    c->add_option("--process-label", a->label, "accepted for runc compatibility; no SELinux here");
    c->add_flag("-d,--detach", a->detach, "do not wait for the process");
    c->add_flag("-t,--tty", a->tty, "allocate a pseudo terminal");
    c->add_flag("--no-new-privs", a->no_new_privs, "set no_new_privs");
    c->add_flag("--ignore-paused", a->ignore_paused, "exec into a paused container; the process starts once it is resumed");
    c->add_option("--preserve-fds", a->preserve_fds, "pass N extra file descriptors");
    c->add_option("id", a->id, "container id")->required();
    c->add_option("command", a->rest, "the command and its arguments (unless --process)");
    return [&g, a]() -> int {
        // runc's exec exits 255 for any failure of its own, so a caller can tell
        // it from the exit status of the process.
        try {
            return exec_with(g, a.get());
        } catch (const std::exception& e) {
            log::error("exec failed: {}", e.what());
            return 255;
        }
    };
}

}  // namespace myrt::cli
