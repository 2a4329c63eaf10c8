// pidfd: the process it refers to, by its pid in the container's pid
// namespace. The restorer holds a placeholder; after the task's fds are in
// place the task itself calls pidfd_open (injected) on that pid, inside the
// container's pid namespace, and the result replaces the placeholder. The
// target must exist by then: itself or an ancestor (tasks are restored
// parents first), which the checkpoint checks.
#include "cr/files/fdinfo.hpp"
#include "cr/files/files.hpp"
#include "cr/files/object_kinds.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

struct PidfdTarget {
    pid_t host_pid = -1;
    pid_t ns_pid = -1;
};

PidfdTarget target_of(pid_t pid, const OpenFd& fd) {
    auto lines = fdinfo_lines(pid, fd.fd);
    PidfdTarget t;
    std::string p = fdinfo_require(lines, "Pid", "pidfd", pid, fd.fd);
    if (p == "-1") fail("fd {} of pid {} is a pidfd of a process that has exited: not supported", fd.fd, pid);
    t.host_pid = static_cast<pid_t>(parse_number(p, 10, "pidfd Pid"));
    std::istringstream ns(fdinfo_require(lines, "NSpid", "pidfd", pid, fd.fd));
    long v = -1;
    while (ns >> v) t.ns_pid = static_cast<pid_t>(v);
    if (t.ns_pid <= 0) fail("fd {} of pid {} (pidfd): no pid in the container's pid namespace", fd.fd, pid);
    return t;
}

pid_t parent_of(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("PPid:")) return static_cast<pid_t>(std::stol(line.substr(5)));
    return 0;
}

uint64_t pidns_inode(pid_t pid) {
    struct stat st {};
    if (::stat(fmt::format("/proc/{}/ns/pid", pid).c_str(), &st) < 0) return 0;
    return st.st_ino;
}

struct Placeholders {
    std::map<uint64_t, std::pair<int32_t, uint32_t>> by_objref;  // objref -> (pid in ns, flags)
};

class PidfdKind final : public FdKindOps {
public:
    std::string_view name() const override { return "pidfd"; }
    uint32_t file_kind() const override { return img::file_kind_pidfd; }
    bool claims(const OpenFd& fd) const override { return fd.link.starts_with("pidfd:") || fd.what == "pidfd"; }

    void check(pid_t pid, const OpenFd& fd, DumpContext& ctx) const override {
        if (fd.flags & O_EXCL) fail("fd {} of pid {} is a pidfd of a thread (PIDFD_THREAD): not supported", fd.fd, pid);
        PidfdTarget t = target_of(pid, fd);
        if (ctx.init_pid > 0 && pidns_inode(t.host_pid) != pidns_inode(ctx.init_pid))
            fail("fd {} of pid {} is a pidfd of pid {}, which is not in the container's pid namespace: not supported",
                 fd.fd, pid, t.host_pid);
        for (pid_t p = pid; p > 0; p = parent_of(p)) {
            if (p == t.host_pid) return;
            if (p == ctx.init_pid) break;
        }
        fail("fd {} of pid {} is a pidfd of pid {} ({} in the container), which is neither the task nor one of its "
             "ancestors: only those exist when the task's fds are restored, so this pidfd is not supported",
             fd.fd, pid, t.host_pid, t.ns_pid);
    }

    void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext&, img::RecordWriter& w) const override {
        w.write<img::RecordType::pidfd>(img::PidfdRecord{target_of(pid, fd).ns_pid, 0}, objref);
    }

    UniqueFd restore(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& file) const override {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::pidfd>(&h);
        if (h.objref != objref) r.fail_at("PIDFD record for objref {} follows the FILE of {}", h.objref, objref);
        if (rec.pid <= 0 || rec.pid > (1 << 22) || rec.reserved != 0) r.fail_at("PIDFD objref {}: pid {}", objref, rec.pid);
        if (file.flags & O_EXCL) r.fail_at("PIDFD objref {}: thread pidfds are not supported", objref);
        ctx.state_of<Placeholders>(file_kind()).by_objref[objref] = {rec.pid, file.flags & O_NONBLOCK};
        UniqueFd placeholder(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!placeholder) throw_errno("open /dev/null (placeholder for pidfd objref {})", objref);
        return placeholder;
    }

    // Every fd of the description gets its own pidfd_open: a pidfd's
    // description holds nothing but the process and O_NONBLOCK.
    void after_install(pid_t pid, Injector& inj, RestoreContext& ctx, const FdEntry& e) const override {
        auto& map = ctx.state_of<Placeholders>(file_kind()).by_objref;
        auto it = map.find(e.file_objref);
        if (it == map.end()) fail("pidfd at fd {} of pid {}: objref {} unknown", e.fd, pid, e.file_objref);
        auto [target, flags] = it->second;
        long got = inj.checked(fmt::format("pidfd_open of pid {} (fd {} of pid {})", target, e.fd, pid), SYS_pidfd_open,
                               static_cast<uint64_t>(target), flags);
        inj.checked(fmt::format("dup3 of the pidfd to fd {}", e.fd), SYS_dup3, static_cast<uint64_t>(got),
                    static_cast<uint64_t>(e.fd), e.cloexec ? O_CLOEXEC : 0);
        inj.checked("close", SYS_close, static_cast<uint64_t>(got));
    }
};

}  // namespace

std::unique_ptr<FdKindOps> make_pidfd_kind() { return std::make_unique<PidfdKind>(); }

}  // namespace myrt::cr::files
