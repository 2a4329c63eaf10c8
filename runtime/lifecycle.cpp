#include "runtime/lifecycle.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "hooks/hooks.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/process_info.hpp"
#include "runtime/state_json.hpp"
#include "runtime/sync_channel.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::runtime {
namespace {

cgroup::Cgroup cgroup_of(const ContainerState& st) { return cgroup::Cgroup::from_json(st.cgroup); }

UniqueFd open_pidfd(pid_t pid) { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

spec::Config config_of(const ContainerState& st) { return spec::parse_config(st.config); }

// runc fails start and run when a poststart hook fails (the spec only asks for a
// warning); callers rely on runc's behaviour, so the first failure throws.
void run_poststart_hooks(const ContainerState& st) {
    spec::Config c = config_of(st);
    hooks::run(hooks::Kind::poststart, c.hooks.poststart, hook_state(st, Status::running).dump());
}

}  // namespace

Status current_status(const StateStore& store, const ContainerState& st) {
    if (!process_is_alive(st.pid, st.pid_start_time)) return Status::stopped;
    try {
        if (cgroup_of(st).freezer_state() != cgroup::FreezerState::thawed) return Status::paused;
    } catch (...) {
        // A missing freezer is not a reason to misreport a live container.
    }
    if (exists(store.exec_fifo(st.id))) return Status::created;
    return Status::running;
}

bool wait_for_exit(pid_t pid, unsigned long long start_time, int timeout_ms) {
    UniqueFd pfd = open_pidfd(pid);
    if (pfd) {
        pollfd p{pfd.get(), POLLIN, 0};
        if (!process_is_alive(pid, start_time)) return true;
        ::poll(&p, 1, timeout_ms);
        return !process_is_alive(pid, start_time);
    }
    return !process_is_alive(pid, start_time);
}

void start_container(const StateStore& store, const std::string& id) {
    auto lock = store.lock(id);
    ContainerState st = store.load(id);
    Status s = current_status(store, st);
    if (s != Status::created)
        fail("cannot start container \"{}\": it is {}, not created", id, status_name(s));
    std::string fifo = store.exec_fifo(id);
    UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) throw_errno("open exec fifo {}", fifo);
    // Two things come through the fifo. The init blocks opening it for writing
    // until we hold it open for reading, then writes one byte: it is starting.
    // It keeps its end open through the startContainer hooks until its execve
    // closes it (close-on-exec): end of file means the process is running, and
    // poststart hooks may run. (Before any writer, read gives 0 too: ignored.)
    bool started = false;
    for (;;) {
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 50) > 0 && (p.revents & (POLLIN | POLLHUP))) {
            char c;
            ssize_t n = ::read(fd.get(), &c, 1);
            if (n == 1 && !started) {
                started = true;
                ::unlink(fifo.c_str());
                continue;
            }
            if (n == 0 && started) break;
        }
        if (!process_is_alive(st.pid, st.pid_start_time)) {
            if (!started) fail("cannot start container \"{}\": its process exited before start", id);
            break;  // it died after starting: `state` says stopped
        }
    }
    // Nothing in the state changes: the fifo's absence is what says "started".
    try {
        run_poststart_hooks(st);
    } catch (...) {
        // As runc: the started container is killed and removed, and start fails.
        UniqueFd pfd = open_pidfd(st.pid);
        if (pfd && process_is_alive(st.pid, st.pid_start_time))
            ::syscall(SYS_pidfd_send_signal, pfd.get(), SIGKILL, nullptr, 0);
        try {
            destroy_container(store, st);
        } catch (const std::exception& e) {
            log::warn("removing {} after its poststart hook failed: {}", id, e.what());
        }
        throw;
    }
}

void finish_immediate_start(const ContainerState& st, int exec_watch) {
    if (exec_watch < 0) return;
    SyncChannel channel{UniqueFd(exec_watch)};
    // End of file: the execve closed the init's end. A message instead is the
    // init's error (a startContainer hook, the exec), rethrown by recv.
    if (auto msg = channel.recv_or_eof())
        fail("unexpected message {} from the container process while it starts", static_cast<int>(msg->first));
    run_poststart_hooks(st);  // a failure fails run, which then deletes the container
}

void kill_container(const StateStore& store, const std::string& id, int sig, bool all) {
    auto lock = store.lock(id);
    ContainerState st = store.load(id);
    // As runc: without a pid namespace of its own, the init is not special to the
    // kernel and SIGKILL to it leaves the rest running: KILL goes to the whole cgroup,
    // even after the init is gone.
    if (sig == SIGKILL && !st.own_pid_namespace) {
        auto cg = cgroup_of(st);
        if (cg.has_hierarchies()) {
            cg.kill_all(SIGKILL);
            return;
        }
    }
    Status s = current_status(store, st);
    // runc: --all (obsolete there) makes a stopped container no error.
    if (s == Status::stopped && all && sig == 0) return;
    if (s == Status::stopped && !all) fail("cannot kill container \"{}\": container not running", id);
    if (all && sig != 0) {
        auto cg = cgroup_of(st);
        if (cg.has_hierarchies()) {
            cg.kill_all(sig);
            return;
        }
        // A rootless container in no cgroup of its own: its process tree.
        if (s == Status::stopped) return;
        for (pid_t pid : process_and_descendants(st.pid))
            if (::kill(pid, sig) != 0 && errno != ESRCH) throw_errno("send signal {} to pid {} of container {}", sig, pid, id);
        return;
    }
    UniqueFd pfd = open_pidfd(st.pid);
    if (!pfd || !process_is_alive(st.pid, st.pid_start_time))
        fail("cannot kill container \"{}\": container not running", id);
    if (::syscall(SYS_pidfd_send_signal, pfd.get(), sig, nullptr, 0) != 0)
        throw_errno("send signal {} to container {} (pid {})", sig, id, st.pid);
}

void destroy_container(const StateStore& store, const ContainerState& st) {
    spec::Config c = config_of(st);
    auto cg = cgroup_of(st);
    try {
        cg.kill_all(SIGKILL);
        if (cg.freezer_state() != cgroup::FreezerState::thawed) cg.thaw();
    } catch (const std::exception& e) {
        log::debug("killing the rest of {}: {}", st.id, e.what());
    }
    wait_for_exit(st.pid, st.pid_start_time, 5000);
    // Processes outside our pid namespace view take a moment to leave the cgroup.
    // Cgroup::destroy already retries EBUSY for a moment; a few rounds of
    // killing stragglers (forked while we killed) is enough.
    for (int i = 0; i < 5; ++i) {
        try {
            cg.destroy();
            break;
        } catch (const std::exception& e) {
            if (i == 4) throw;
            cg.kill_all(SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    hooks::run_warn_only(hooks::Kind::poststop, c.hooks.poststop, hook_state(st, Status::stopped).dump());
    store.remove(st.id);
}

void delete_container(const StateStore& store, const std::string& id, bool force) {
    auto lock = store.lock(id);
    ContainerState st = store.load(id);
    Status s = current_status(store, st);
    if ((s == Status::running || s == Status::paused) && !force)
        fail("cannot delete container \"{}\" that is not stopped: {}", id, status_name(s));
    if (s != Status::stopped) {
        UniqueFd pfd = open_pidfd(st.pid);
        if (pfd && process_is_alive(st.pid, st.pid_start_time))
            ::syscall(SYS_pidfd_send_signal, pfd.get(), SIGKILL, nullptr, 0);
    }
    destroy_container(store, st);
}

void pause_container(const StateStore& store, const std::string& id) {
    auto lock = store.lock(id);
    ContainerState st = store.load(id);
    Status s = current_status(store, st);
    if (s != Status::running && s != Status::created)
        fail("cannot pause container \"{}\": it is {}", id, status_name(s));
    cgroup_of(st).freeze();
}

void resume_container(const StateStore& store, const std::string& id) {
    auto lock = store.lock(id);
    ContainerState st = store.load(id);
    Status s = current_status(store, st);
    if (s != Status::paused) fail("cannot resume container \"{}\": it is {}, not paused", id, status_name(s));
    cgroup_of(st).thaw();
}

std::vector<pid_t> container_pids(const StateStore& store, const std::string& id) {
    ContainerState st = store.load(id);
    auto cg = cgroup_of(st);
    if (cg.has_hierarchies()) return cg.pids();
    // A rootless container in no cgroup of its own: its process tree.
    if (!process_is_alive(st.pid, st.pid_start_time)) return {};
    return process_and_descendants(st.pid);
}

void update_container(const StateStore& store, const std::string& id, const spec::Resources& r,
                      const nlohmann::json& resources_json) {
    auto lock = store.lock(id);
    ContainerState st = store.load(id);
    Status s = current_status(store, st);
    if (s == Status::stopped) fail("cannot update container \"{}\": it is stopped", id);
    cgroup_of(st).apply(r);
    // Remember the new limits, so a checkpoint or `state` sees what is in force.
    auto& res = st.config["linux"]["resources"];
    if (!res.is_object()) res = nlohmann::json::object();
    res.merge_patch(resources_json);
    store.save(st);
}

}  // namespace myrt::runtime
