#include "runtime/create.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks/hooks.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/console.hpp"
#include "runtime/container_init.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/inherited_fds.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/pid_file.hpp"
#include "runtime/process_setup.hpp"
#include "runtime/process_info.hpp"
#include "runtime/rootless.hpp"
#include "runtime/state_json.hpp"
#include "runtime/bind_sources.hpp"
#include "runtime/seccomp_delivery.hpp"
#include "runtime/sync_channel.hpp"
#include "spec/config.hpp"
#include "runtime/security/capabilities.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::runtime {
namespace {

// Undoes a half-made container unless dismissed: the init, the cgroup, the state.
struct CreateRollback {
    const StateStore& store;
    std::string id;
    std::optional<cgroup::Cgroup> cg;
    pid_t child = -1;
    bool armed = true;
    ~CreateRollback() {
        if (!armed) return;
        if (child > 0) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
        }
        if (cg) {
            try {
                cg->kill_all(SIGKILL);
                cg->destroy();
            } catch (const std::exception& e) {
                log::warn("cleanup of the cgroup of {} failed: {}", id, e.what());
            }
        }
        try {
            store.remove(id);
        } catch (...) {
        }
    }
};

pid_t clone_child(int flags) {
    clone_args args{};
    args.flags = static_cast<uint64_t>(flags);
    args.exit_signal = SIGCHLD;
    long r = ::syscall(SYS_clone3, &args, sizeof args);
    if (r < 0) throw_errno("clone the container process");
    return static_cast<pid_t>(r);
}

// A process put into a frozen cgroup stops there: the runtime would hang on its own child.
void refuse_frozen_cgroup(const cgroup::Cgroup& cg) {
    if (auto fz = cg.freezer_state(); fz != cgroup::FreezerState::thawed)
        fail("container's cgroup unexpectedly {}: {} (thaw it, or give another linux.cgroupsPath)",
             cgroup::to_string(fz), cg.cgroups_path());
}

}  // namespace

CreateResult create_container(const StateStore& store, const CreateOptions& opts) {
    std::string bundle = absolute_path(opts.bundle.empty() ? "." : opts.bundle);
    spec::Config config = spec::load_config(bundle);
    spec::validate_for_create(config);
    const spec::Process& proc = *config.process;
    if (proc.capabilities) security::warn_unusable_capabilities(*proc.capabilities);
    if (proc.terminal && opts.console_socket.empty() && !opts.foreground_terminal)
        fail("process.terminal is true: a --console-socket is needed to receive the terminal");
    std::string rootfs = config.root.path[0] == '/' ? config.root.path : bundle + "/" + config.root.path;
    struct stat st;
    if (::stat(rootfs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail("root.path: {} is not a directory", rootfs);

    store.create_dir(opts.id);
    CreateRollback rollback{store, opts.id, std::nullopt};
    FileLock lock(store.dir(opts.id) + "/lock");

    ContainerState state;
    state.id = opts.id;
    state.bundle = bundle;
    state.rootfs = rootfs;
    state.annotations = config.annotations;
    state.created = log::rfc3339_now();
    state.owner = "";
    state.config = config.raw;

    NamespacePlan ns = plan_namespaces(config);
    refuse_sysctls_of_runtime_namespaces(config, ns);
    state.own_pid_namespace = ns.has(CLONE_NEWPID);

    {
        // runc's two refusals, made before the cgroup is ours to clean up: a failed create must
        // not kill or remove what another container or the caller keeps there.
        auto cg = cgroup::Cgroup::for_container(config.linux.cgroups_path, opts.id, opts.cgroup_parent);
        if (auto pids = cg.pids(); !pids.empty())
            fail("container's cgroup is not empty: {} process(es) found in {}", pids.size(), cg.cgroups_path());
        refuse_frozen_cgroup(cg);
        rollback.cg = std::move(cg);
    }
    {
        spec::Resources res = config.linux.resources ? *config.linux.resources : spec::Resources{};
        if (rootless_caller()) {
            // Only delegated cgroups can be used; device rules need the host's root (as runc, they
            // are not applied: the container has only the nodes bind-mounted from the host).
            cgroup::Cgroup planned = *rollback.cg;
            auto left_out = rollback.cg->create_where_permitted();
            cgroup::check_limits_settable(planned, left_out, res);
            for (auto& [dir, why] : left_out) log::debug("rootless: no cgroup {}: {}", dir, why);
            res.devices.clear();
        } else {
            rollback.cg->create();
            // runc's defaults after the config's own rules, so a "deny all" still leaves a usable
            // /dev. linux.devices entries are only made as nodes: as in runc, using one needs a
            // rule in linux.resources.devices (Podman and containerd write both).
            for (auto& r : cgroup::default_device_rules()) res.devices.push_back(r);
        }
        refuse_frozen_cgroup(*rollback.cg);  // a v1 cgroup made under a frozen parent is frozen too
        rollback.cg->apply(res);
    }
    state.cgroup = rollback.cg->to_json();

    std::string fifo = store.exec_fifo(opts.id);
    UniqueFd fifo_fd;
    if (!opts.restore_placeholder && !opts.start_immediately) {
        if (::mkfifo(fifo.c_str(), 0622) != 0) throw_errno("create exec fifo {}", fifo);
        // Not left to the umask: the init opens it after switching to the
        // container's user, which may have no capabilities at all.
        check(::chmod(fifo.c_str(), 0622), "chmod exec fifo {}", fifo);
        fifo_fd.reset(check(::open(fifo.c_str(), O_PATH | O_CLOEXEC), "open exec fifo {}", fifo));
    }

    UniqueFd console, console_peer;  // console_peer: our end when we proxy the terminal ourselves
    if (proc.terminal) {
        auto ch = open_console_channel(opts.console_socket);
        console = std::move(ch.to_container);
        console_peer = std::move(ch.ours);
    }

    // pid and time namespaces given by path apply to our children: join them
    // here, in this short-lived runtime process, before cloning the init.
    int clone_flags = ns.new_flags & ~CLONE_NEWCGROUP;
    for (auto& j : ns.joins)
        if (j.type == "pid" || j.type == "time")
            if (::setns(j.fd.get(), j.flag) != 0) throw_errno("join {} namespace", j.type);
    if (ns.has(CLONE_NEWTIME)) {
        // Offsets must be written before any task lives in the namespace.
        check(::unshare(CLONE_NEWTIME), "unshare the time namespace");
        write_time_offsets(config.linux.time_offsets);
        clone_flags &= ~CLONE_NEWTIME;
    }

    int listen_fds = listen_fds_of(proc.env);  // reads our pid: before the clone
    close_inherited_fds(3 + listen_fds + opts.preserve_fds);
    auto [parent_end, child_end] = SyncChannel::make_pair();
    check(::chdir(bundle.c_str()), "chdir {}", bundle);  // relative mount sources are bundle-relative
    // A user namespace's root may not reach a bind source that host root can:
    // the sources are opened here, on the host side, as runc does.
    BindSources bind_sources;
    if (ns.has(CLONE_NEWUSER) && !rootless_caller()) bind_sources = BindSources::open_for(config);
    pid_t pid = clone_child(clone_flags);
    if (pid == 0) {
        log::keep_warnings_off_stderr();
        parent_end.close();
        console_peer.reset();
        lock.forget_in_child();
        InitContext ctx;
        ctx.config = &config;
        ctx.id = opts.id;
        ctx.rootfs = rootfs;
        ctx.namespaces = &ns;
        ctx.channel = &child_end;
        ctx.exec_fifo = fifo_fd.get();
        ctx.console_socket = console ? console.get() : -1;
        ctx.proxied_terminal = opts.console_socket.empty();
        ctx.channel_read_after_created = opts.start_immediately && !config.hooks.poststart.empty();
        ctx.no_pivot = opts.no_pivot;
        ctx.no_new_keyring = opts.no_new_keyring;
        ctx.preserve_fds = opts.preserve_fds;
        ctx.listen_fds = listen_fds;
        ctx.restore_placeholder = opts.restore_placeholder;
        ctx.cgroup = &*rollback.cg;
        ctx.bind_sources = &bind_sources;
        run_container_init(ctx);
    }
    rollback.child = pid;
    child_end.close();
    console.reset();

    log::debug("create: init of {} cloned as pid {}", opts.id, pid);
    rollback.cg->add_process(pid);
    if (ns.has(CLONE_NEWUSER)) write_id_maps(pid, config.linux);
    parent_end.send(SyncMsg::go);

    state.pid = pid;
    if (auto ps = read_proc_stat(pid)) state.pid_start_time = ps->start_time;
    CreateResult result;
    for (;;) {
        auto [msg, payload] = parent_end.recv();
        if (msg == SyncMsg::run_prestart_hooks) {
            // A hook may ask `myrt state` about the container being created;
            // without hooks the state is written once, when it is created.
            const auto& h = config.hooks;
            if (!h.prestart.empty() || !h.create_runtime.empty() || !h.create_container.empty()) store.save(state);
            std::string sj = hook_state(state, Status::creating).dump();
            hooks::run(hooks::Kind::prestart, config.hooks.prestart, sj);
            hooks::run(hooks::Kind::create_runtime, config.hooks.create_runtime, sj);
            // createContainer hooks run before pivot_root, still "creating".
            parent_end.send(SyncMsg::prestart_done, sj);
        } else if (msg == SyncMsg::seccomp_listener && config.linux.seccomp) {
            deliver_seccomp_listener(parent_end, *config.linux.seccomp, state, Status::creating, pid);
        } else if (msg == SyncMsg::created) {
            break;
        } else if (msg == SyncMsg::parked) {
            break;
        } else {
            fail("unexpected message {} from the container process", static_cast<int>(msg));
        }
    }
    if (console_peer) result.terminal_master = receive_fd(console_peer.get()).release();
    store.save(state);
    if (!opts.pid_file.empty()) write_pid_file(opts.pid_file, pid);
    rollback.armed = false;
    result.state = state;
    // Without poststart hooks nobody needs to know when the init has exec'd;
    // closing our end also lets an error it hits after this reach its stderr.
    if (opts.start_immediately && !config.hooks.poststart.empty()) result.exec_watch = parent_end.release_fd().release();
    return result;
}

}  // namespace myrt::runtime
