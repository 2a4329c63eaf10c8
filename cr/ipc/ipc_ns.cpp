#include "cr/ipc/ipc_ns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fmt/format.h>
#include <linux/mount.h>

#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cr::ipc {

InIpcNamespace::InIpcNamespace(pid_t pid) : own_(::open("/proc/thread-self/ns/ipc", O_RDONLY | O_CLOEXEC)) {
    if (!own_) throw_errno("open our own IPC namespace");
    auto path = fmt::format("/proc/{}/ns/ipc", pid);
    UniqueFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!target) throw_errno("open {}", path);
    if (::setns(target.get(), CLONE_NEWIPC) != 0) throw_errno("enter the IPC namespace of process {}", pid);
}

InIpcNamespace::~InIpcNamespace() {
    // Staying in the container's namespace would make every later IPC call
    // of this thread act on the container: nothing sane is left to do then.
    if (::setns(own_.get(), CLONE_NEWIPC) != 0) {
        log::error("could not return to our own IPC namespace: {}", std::strerror(errno));
        std::abort();
    }
}

uint64_t ipc_ns_inode(const std::string& pid) {
    struct stat st {};
    auto path = fmt::format("/proc/{}/ns/ipc", pid);
    if (::stat(path.c_str(), &st) != 0) throw_errno("stat {}", path);
    return st.st_ino;
}

namespace {

std::string read_sysctl(const char* name) {
    auto path = fmt::format("/proc/sys/{}", name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open {}", path);
    char buf[256] = {};
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n < 0) throw_errno("read {}", path);
    return std::string(buf, static_cast<size_t>(n));
}

uint64_t sysctl_u64(const char* name) { return std::strtoull(read_sysctl(name).c_str(), nullptr, 10); }

}  // namespace

IpcLimits read_limits() {
    IpcLimits l;
    l.shmmax = sysctl_u64("kernel/shmmax");
    l.shmall = sysctl_u64("kernel/shmall");
    l.shmmni = sysctl_u64("kernel/shmmni");
    l.msgmax = sysctl_u64("kernel/msgmax");
    l.msgmni = sysctl_u64("kernel/msgmni");
    unsigned long long msl = 0, mns = 0, opm = 0, mni = 0;
    auto sem = read_sysctl("kernel/sem");
    if (std::sscanf(sem.c_str(), "%llu %llu %llu %llu", &msl, &mns, &opm, &mni) != 4)
        fail("cannot parse /proc/sys/kernel/sem: {}", sem);
    l.semmsl = msl;
    l.semmns = mns;
    l.semmni = mni;
    return l;
}

void set_next_id(const char* which, int32_t id) {
    // /proc/sys/kernel/*_next_id resolves to the namespace of the thread that
    // opens it, so this is opened after the setns, every time.
    auto path = fmt::format("/proc/sys/kernel/{}", which);
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("open {}", path);
    auto text = fmt::format("{}\n", id);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw_errno("write {} to {}", id, path);
}

UniqueFd open_mqueue_fs() {
    // The mqueue filesystem context takes the IPC namespace of the thread
    // that opens it: the mount shows exactly that namespace's queues.
    UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, "mqueue", FSOPEN_CLOEXEC)));
    if (!fs) throw_errno("fsopen mqueue");
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
        throw_errno("create an mqueue filesystem instance");
    UniqueFd mnt(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, 0)));
    if (!mnt) throw_errno("fsmount mqueue");
    return mnt;
}

}  // namespace myrt::cr::ipc
