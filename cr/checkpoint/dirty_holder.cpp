#include "cr/checkpoint/dirty_holder.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cr/driver/criu_files.hpp"
#include "runtime/process_info.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

constexpr const char* kStateFile = "dirty-tracking.json";
constexpr int kFirstHeldFd = 4;  // fd 3: the init's pidfd

std::string state_path(const runtime::StateStore& store, const std::string& id) {
    return store.dir(id) + "/" + kStateFile;
}

std::optional<nlohmann::json> load_state(const runtime::StateStore& store, const std::string& id) {
    std::ifstream in(state_path(store, id));
    if (!in) return std::nullopt;
    try {
        return nlohmann::json::parse(in);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

UniqueFd pidfd_of(pid_t pid, unsigned long long start_time) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    // Checked after the open: the pidfd then names that very process.
    if (fd && !runtime::process_is_alive(pid, start_time)) fd.reset();
    return fd;
}

bool is_userfaultfd(int fd) {
    char link[64] = {};
    ssize_t n = ::readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), link, sizeof link - 1);
    return n > 0 && std::string_view(link, static_cast<size_t>(n)) == "anon_inode:[userfaultfd]";
}

void stop_holder(const nlohmann::json& j) {
    pid_t pid = j.value("holder_pid", 0);
    unsigned long long start = j.value("holder_start", 0ull);
    if (pid <= 0) return;
    if (auto fd = pidfd_of(pid, start)) ::syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0);
}

nlohmann::json describe(const DirtyTracking& t, pid_t holder, unsigned long long holder_start,
                        const runtime::ContainerState& st) {
    nlohmann::json procs = nlohmann::json::array();
    for (size_t i = 0; i < t.processes.size(); ++i) {
        const auto& p = t.processes[i];
        procs.push_back({{"pid", p.pid}, {"start", p.start_time}, {"ns_pid", p.ns_pid},
                         {"fd", kFirstHeldFd + static_cast<int>(i)}});
    }
    return {{"holder_pid", holder},
            {"holder_start", holder_start},
            {"init_pid", st.pid},
            {"init_start", st.pid_start_time},
            {"epoch", t.epoch ? driver::format_image_id(*t.epoch) : ""},
            {"epoch_image", t.epoch_image},
            {"processes", procs}};
}

std::optional<driver::ImageId> parse_id(const std::string& s) {
    if (s.size() != 32) return std::nullopt;
    driver::ImageId id{};
    try {
        id[0] = std::stoull(s.substr(0, 16), nullptr, 16);
        id[1] = std::stoull(s.substr(16), nullptr, 16);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    return id;
}

}  // namespace

int DirtyTracking::uffd_for(pid_t pid, unsigned long long start_time) const {
    for (const auto& p : processes)
        if (p.pid == pid && p.start_time == start_time) return p.uffd.get();
    return -1;
}

std::optional<DirtyTracking> adopt_dirty_tracking(const runtime::StateStore& store, const runtime::ContainerState& st,
                                                  std::string& note) {
    auto j = load_state(store, st.id);
    if (!j) return std::nullopt;
    if (j->value("init_pid", 0) != st.pid || j->value("init_start", 0ull) != st.pid_start_time) {
        note = "the dirty tracking on record belongs to an earlier run of the container";
        return std::nullopt;
    }
    auto holder = pidfd_of(j->value("holder_pid", 0), j->value("holder_start", 0ull));
    if (!holder) {
        note = "the process holding the dirty tracking is gone";
        return std::nullopt;
    }
    DirtyTracking t;
    t.epoch = parse_id(j->value("epoch", ""));
    t.epoch_image = j->value("epoch_image", "");
    for (const auto& p : j->value("processes", nlohmann::json::array())) {
        TrackedProcess tp;
        tp.pid = p.value("pid", 0);
        tp.start_time = p.value("start", 0ull);
        tp.ns_pid = p.value("ns_pid", 0);
        int fd = p.value("fd", -1);
        if (tp.pid <= 0 || fd < kFirstHeldFd || !runtime::process_is_alive(tp.pid, tp.start_time)) continue;
        tp.uffd.reset(static_cast<int>(::syscall(SYS_pidfd_getfd, holder.get(), fd, 0)));
        // A process whose fd cannot be had is simply untracked (all its pages are dumped).
        if (!tp.uffd || !is_userfaultfd(tp.uffd.get())) {
            note += fmt::format("{}fd {} of the dirty-tracking holder (process {}) is not a userfaultfd it holds",
                                note.empty() ? "" : "; ", fd, tp.pid);
            continue;
        }
        ::fcntl(tp.uffd.get(), F_SETFD, FD_CLOEXEC);
        t.processes.push_back(std::move(tp));
    }
    return t;
}

void forget_tracking_epoch(const runtime::StateStore& store, const runtime::ContainerState& st) {
    auto j = load_state(store, st.id);
    if (!j) return;
    (*j)["epoch"] = "";
    driver::write_file_atomic(store.dir(st.id), kStateFile, j->dump());
}

void keep_dirty_tracking(const runtime::StateStore& store, const runtime::ContainerState& st,
                         const DirtyTracking& tracking) {
    auto previous = load_state(store, st.id);
    UniqueFd init = pidfd_of(st.pid, st.pid_start_time);
    if (!init) fail("container {} init {} is gone: no dirty tracking to keep", st.id, st.pid);
    std::vector<int> fds{init.get()};
    for (const auto& p : tracking.processes) fds.push_back(p.uffd.get());
    pid_t child = ::fork();
    if (child < 0) throw_errno("fork of the dirty-tracking holder");
    if (child == 0) {
        // Fds go to 3, 4, ... by way of numbers above all of them, so that no
        // dup2 overwrites one still to be moved.
        int high = 1024;
        for (size_t i = 0; i < fds.size(); ++i) {
            fds[i] = ::fcntl(fds[i], F_DUPFD, high);
            if (fds[i] < 0) ::_exit(120);
            high = fds[i] + 1;
        }
        for (size_t i = 0; i < fds.size(); ++i)
            if (::dup2(fds[i], 3 + static_cast<int>(i)) < 0) ::_exit(121);
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
        ::setsid();
        if (::chdir("/") < 0) ::_exit(122);
        ::syscall(SYS_close_range, 3 + fds.size(), ~0u, 0);
        const char* argv[] = {"myrt", kDirtyHolderCommand, nullptr};
        ::execv("/proc/self/exe", const_cast<char* const*>(argv));
        ::_exit(123);
    }
    // The holder's start time, once it is running as the holder (its exec done).
    unsigned long long holder_start = 0;
    for (int i = 0; i < 500; ++i) {
        auto stat = runtime::read_proc_stat(child);
        std::string comm;
        try {
            std::ifstream c(fmt::format("/proc/{}/comm", child));
            std::getline(c, comm);
        } catch (...) {
        }
        if (!stat || stat->state == 'Z') fail("the dirty-tracking holder exited at once");
        if (comm == "myrt-dirty") {
            holder_start = stat->start_time;
            break;
        }
        ::usleep(2000);
    }
    if (!holder_start) {
        ::kill(child, SIGKILL);
        fail("the dirty-tracking holder did not start");
    }
    driver::write_file_atomic(store.dir(st.id), kStateFile, describe(tracking, child, holder_start, st).dump());
    if (previous && previous->value("holder_pid", 0) != child) stop_holder(*previous);
}

void end_dirty_tracking(const runtime::StateStore& store, const runtime::ContainerState& st) {
    auto j = load_state(store, st.id);
    if (!j) return;
    stop_holder(*j);
    ::unlink(state_path(store, st.id).c_str());
}

int run_dirty_holder() {
    ::prctl(PR_SET_NAME, "myrt-dirty", 0, 0, 0);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    pollfd p{3, POLLIN, 0};
    for (;;) {
        int rc = ::poll(&p, 1, -1);
        if (rc < 0 && errno == EINTR) continue;
        return 0;  // the init exited (or fd 3 is not a pidfd): the tracking ends with us
    }
}

}  // namespace myrt::cr
