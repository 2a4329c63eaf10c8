#include "runtime/container_init.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "hooks/hooks.hpp"
#include "runtime/console.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/loopback.hpp"
#include "runtime/process_scheduling.hpp"
#include "runtime/process_setup.hpp"
#include "runtime/rootfs.hpp"
#include "util/error.hpp"

namespace myrt::runtime {
namespace {

void join_namespaces(InitContext& ctx) {
    // The user namespace first: joining it decides what we may do in the others.
    auto& joins = ctx.namespaces->joins;
    std::stable_sort(joins.begin(), joins.end(), [](auto& a, auto& b) { return a.type == "user" && b.type != "user"; });
    for (auto& j : joins) {
        // pid and time namespaces apply to children only: the runtime joined
        // them before clone, so this process is already inside.
        if (j.type == "pid" || j.type == "time") continue;
        if (::setns(j.fd.get(), j.flag) != 0) throw_errno("join {} namespace", j.type);
    }
}

void write_sysctls(const std::map<std::string, std::string>& sysctl) {
    for (const auto& [key, value] : sysctl) {
        if (key.find("..") != std::string::npos || (key.find('/') != std::string::npos && key.find('.') == std::string::npos))
            fail("linux.sysctl: invalid key \"{}\"", key);
        std::string path = "/proc/sys/" + key;
        std::replace(path.begin() + 10, path.end(), '.', '/');
        try {
            write_file(path, value);
        } catch (const SystemError& e) {
            fail("linux.sysctl: cannot set {} to \"{}\": {}", key, value, e.what());
        }
    }
}

void join_session_keyring(const std::string& id) {
    std::string name = "_ses." + id;
    // KEYCTL_JOIN_SESSION_KEYRING = 1. EPERM/ENOSYS happen where keyrings are
    // not namespaced or not built in; the container then shares the caller's.
    ::syscall(SYS_keyctl, 1, name.c_str(), 0, 0, 0);
}

void wait_for_start(int fifo_path_fd) {
    std::string p = "/proc/self/fd/" + std::to_string(fifo_path_fd);
    int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);  // blocks until `start` opens it
    if (fd < 0) throw_errno("open the exec fifo");
    char zero = '0';
    (void)::write(fd, &zero, 1);
    // Kept open on purpose: O_CLOEXEC closes it at the execve, and `start`
    // waits for that end-of-file so that poststart hooks run only after the
    // container's process is executing, as the spec requires.
}

[[noreturn]] void park_for_restore(InitContext& ctx) {
    // Everything the engine does not rebuild itself is in place; what the
    // dumped pid 1 held (fds, creds, seccomp) comes from the image.
    ctx.channel->send(SyncMsg::parked);
    ::syscall(SYS_close_range, 3 + ctx.listen_fds + ctx.preserve_fds, ~0U, 0U);
    for (;;) ::pause();
}

}  // namespace

void run_container_init(InitContext& ctx) {
    bool runtime_reads = true;  // is the runtime still reading the channel?
    try {
        const spec::Config& c = *ctx.config;
        const spec::Process& proc = *c.process;
        apply_initial_cpu_affinity(proc);
        ctx.channel->expect(SyncMsg::go, "the runtime to place the container in its cgroup");
        apply_final_cpu_affinity(proc);
        auto& ns = *ctx.namespaces;
        // Only a namespace of our own (a joined one is someone else's to
        // configure), and before joining a user namespace by path: the new
        // network namespace belongs to the one we were cloned in.
        if (ns.has(CLONE_NEWNET)) bring_up_loopback();
        join_namespaces(ctx);
        if (ns.has(CLONE_NEWUSER)) {
            // Become root of the new user namespace (the maps are written).
            check(::setresgid(0, 0, 0), "setresgid(0) in the user namespace");
            check(::setresuid(0, 0, 0), "setresuid(0) in the user namespace");
        }
        if (ns.has(CLONE_NEWCGROUP)) check(::unshare(CLONE_NEWCGROUP), "unshare the cgroup namespace");
        check(::setsid(), "setsid");
        if (ns.has(CLONE_NEWUTS) || ns.joins_type("uts")) {
            if (!c.hostname.empty()) check(::sethostname(c.hostname.data(), c.hostname.size()), "set hostname {}", c.hostname);
            if (!c.domainname.empty())
                check(::setdomainname(c.domainname.data(), c.domainname.size()), "set domainname {}", c.domainname);
        }
        if (proc.oom_score_adj) apply_oom_score_adj(*proc.oom_score_adj);

        RootfsPlan plan;
        plan.config = &c;
        plan.rootfs = ctx.rootfs;
        plan.own_mount_ns = ns.has(CLONE_NEWNS) || ns.joins_type("mount");
        plan.new_user_ns = ns.has(CLONE_NEWUSER) || ns.joins_type("user");
        plan.new_net_ns = ns.has(CLONE_NEWNET);
        plan.new_ipc_ns = ns.has(CLONE_NEWIPC);
        plan.new_cgroup_ns = ns.has(CLONE_NEWCGROUP);
        plan.no_pivot = ctx.no_pivot;
        plan.cgroup = ctx.cgroup;
        plan.bind_sources = ctx.bind_sources;
        prepare_rootfs(plan);

        ctx.channel->send(SyncMsg::run_prestart_hooks);
        std::string state_json = ctx.channel->expect(SyncMsg::prestart_done, "the prestart hooks");
        hooks::run(hooks::Kind::create_container, c.hooks.create_container, state_json);

        enter_rootfs(plan);
        if (!ctx.no_new_keyring) join_session_keyring(ctx.id);
        if (proc.terminal) {
            if (ctx.console_socket < 0) fail("process.terminal is true but there is no console socket");
            setup_container_console(ctx.console_socket, proc.console_size, ctx.proxied_terminal);
            ::close(ctx.console_socket);
        }
        write_sysctls(c.linux.sysctl);
        finalize_rootfs(plan);

        if (ctx.restore_placeholder) park_for_restore(ctx);

        ExecPlan ep;
        ep.process = &proc;
        ep.seccomp = c.linux.seccomp ? &*c.linux.seccomp : nullptr;
        ep.personality = c.linux.personality;
        ep.preserve_fds = ctx.preserve_fds;
        ep.listen_fds = ctx.listen_fds;
        ep.hand_over_listener = [&](UniqueFd listener) {
            ctx.channel->send_with_fd(SyncMsg::seccomp_listener, listener.get());
            ctx.channel->expect(SyncMsg::seccomp_listener_sent, "the runtime to deliver the seccomp listener");
        };
        setup_and_exec(ep, [&] {
            ctx.channel->send(SyncMsg::created);
            runtime_reads = ctx.channel_read_after_created;
            if (ctx.exec_fifo >= 0) {  // none for `run`: it starts at once
                wait_for_start(ctx.exec_fifo);
                ::close(ctx.exec_fifo);
            }
            if (!c.hooks.start_container.empty()) {
                auto started = nlohmann::ordered_json::parse(state_json);
                // As runc: the pid as the container sees it (the hook runs in its namespaces).
                started["status"] = "created";
                started["pid"] = ::getpid();
                hooks::run(hooks::Kind::start_container, c.hooks.start_container, started.dump());
            }
        });
    } catch (const std::exception& e) {
        try {
            // A message the runtime would never read is lost: stderr then.
            if (!runtime_reads) throw std::runtime_error("the runtime no longer reads the channel");
            ctx.channel->send(SyncMsg::error, e.what());
        } catch (...) {
            // The runtime already returned from create: the container's
            // stderr is the only place left to say why it could not start
            // (the bare error, one line, as runc writes it).
            std::string line = std::string(e.what()) + "\n";
            (void)!::write(2, line.data(), line.size());
        }
        ::_exit(1);
    }
}

}  // namespace myrt::runtime
