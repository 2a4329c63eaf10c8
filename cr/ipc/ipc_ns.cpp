#include "cr/ipc/ipc_ns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
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

namespace {

constexpr const char* u64_sysctls[] = {"kernel/msgmax", "kernel/msgmnb", "kernel/msgmni", "kernel/shmmax",
                                       "kernel/shmall", "kernel/shmmni", "kernel/shm_rmid_forced",
                                       "fs/mqueue/msg_max", "fs/mqueue/msgsize_max", "fs/mqueue/msg_default",
                                       "fs/mqueue/msgsize_default", "fs/mqueue/queues_max"};

std::array<uint64_t*, 12> u64_fields(image::IpcSysctlRecord& r) {
    return {&r.msgmax, &r.msgmnb, &r.msgmni, &r.shmmax, &r.shmall, &r.shmmni, &r.shm_rmid_forced,
            &r.mq_msg_max, &r.mq_msgsize_max, &r.mq_msg_default, &r.mq_msgsize_default, &r.mq_queues_max};
}

// Opened after the setns, every time: /proc/sys resolves the IPC sysctls in
// the namespace of the thread that opens them.
void write_sysctl(const char* name, const std::string& value) {
    auto path = fmt::format("/proc/sys/{}", name);
    auto text = value + "\n";
    auto write_once = [&] {
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
        if (!fd) return false;
        return ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
    };
    if (write_once()) return;
    // A namespace owned by a user namespace lets only that namespace's root
    // (the file's owner) write its mqueue sysctls, not even host root; the
    // kernel checks at open and at write. This thread alone (raw syscall)
    // becomes that uid for both; root comes back.
    struct stat st {};
    if ((errno == EACCES || errno == EPERM) && ::stat(path.c_str(), &st) == 0 && st.st_uid != 0) {
        if (::syscall(SYS_setresuid, -1, st.st_uid, -1) != 0)
            throw_errno("become uid {}, the owner of {}, to restore the IPC namespace's {}", st.st_uid, path, name);
        bool ok = write_once();
        int e = errno;
        if (::syscall(SYS_setresuid, -1, 0, -1) != 0) {
            log::error("could not become root again after writing {}: {}", path, std::strerror(errno));
            std::abort();
        }
        if (ok) return;
        errno = e;
    }
    throw_errno("restore the IPC namespace's sysctl {} = {} ({})", name, value, path);
}

}  // namespace

image::IpcSysctlRecord read_ipc_sysctls() {
    image::IpcSysctlRecord r{};
    auto fields = u64_fields(r);
    for (size_t i = 0; i < fields.size(); ++i) *fields[i] = sysctl_u64(u64_sysctls[i]);
    auto sem = read_sysctl("kernel/sem");
    if (std::sscanf(sem.c_str(), "%d %d %d %d", &r.sem[0], &r.sem[1], &r.sem[2], &r.sem[3]) != 4)
        fail("cannot parse /proc/sys/kernel/sem: {}", sem);
    return r;
}

void write_ipc_sysctls(const image::IpcSysctlRecord& r) {
    image::IpcSysctlRecord copy = r;
    auto fields = u64_fields(copy);
    // fs.mqueue.msg_default/msgsize_default may not exceed msg_max/msgsize_max:
    // the maxima go first (indices 7, 8), then everything else but
    // shm_rmid_forced (6), which write_shm_rmid_forced sets at the end.
    const size_t order[] = {7, 8, 0, 1, 2, 3, 4, 5, 9, 10, 11};
    for (size_t i : order) write_sysctl(u64_sysctls[i], std::to_string(*fields[i]));
    write_sysctl("kernel/sem", fmt::format("{} {} {} {}", r.sem[0], r.sem[1], r.sem[2], r.sem[3]));
}

void write_shm_rmid_forced(uint64_t value) { write_sysctl("kernel/shm_rmid_forced", std::to_string(value)); }

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
