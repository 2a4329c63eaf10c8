#pragma once
// Being inside a container's IPC namespace. SysV ids, /proc/sys/kernel/*_next_id
// and POSIX queue names all resolve in the IPC namespace of the calling
// thread, and setns(CLONE_NEWIPC) changes only that thread: the C/R drivers
// step in for the IPC work and back out, no helper process needed.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "cr/image/records.hpp"
#include "util/fd.hpp"

namespace myrt::cr::ipc {

// The calling thread in `pid`'s IPC namespace for the guard's lifetime.
class InIpcNamespace {
public:
    explicit InIpcNamespace(pid_t pid);
    ~InIpcNamespace();
    InIpcNamespace(const InIpcNamespace&) = delete;
    InIpcNamespace& operator=(const InIpcNamespace&) = delete;

private:
    UniqueFd own_;
};

// Inode of /proc/PID/ns/ipc ("self" for ours).
uint64_t ipc_ns_inode(const std::string& pid);

// The limits of the current thread's IPC namespace that root cannot exceed.
struct IpcLimits {
    uint64_t shmmax = 0, shmall = 0, shmmni = 0;
    uint64_t msgmax = 0, msgmni = 0;
    uint64_t semmsl = 0, semmns = 0, semmni = 0;
};
IpcLimits read_limits();

// The sysctls of the current thread's IPC namespace, read and written (the
// maxima before the defaults they bound, so any order of values fits).
image::IpcSysctlRecord read_ipc_sysctls();
// All but kernel.shm_rmid_forced: set while the restorer still has a segment
// attached and segments would be removed when it detaches, so it goes last.
void write_ipc_sysctls(const image::IpcSysctlRecord& r);
void write_shm_rmid_forced(uint64_t value);

// Writes kernel/{shm,msg,sem}_next_id of the current thread's namespace.
void set_next_id(const char* which, int32_t id);

// The POSIX queues of the current thread's namespace: a detached mount of
// its mqueue filesystem (no mount namespace is touched).
UniqueFd open_mqueue_fs();

// The objref of an IPC object in the image: "ipc" in the top bytes.
inline constexpr uint64_t objref_tag = 0x6970630000000000ull;
enum class ObjKind : uint32_t { ns = 1, shm = 2, msq = 3, sem = 4, mq = 5 };
inline constexpr uint64_t objref(ObjKind k, uint32_t id) {
    return objref_tag | (uint64_t{static_cast<uint32_t>(k)} << 32) | id;
}
inline constexpr bool is_ipc_objref(uint64_t objref) { return (objref >> 40) == (objref_tag >> 40); }

}  // namespace myrt::cr::ipc
