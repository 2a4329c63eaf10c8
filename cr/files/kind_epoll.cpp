// epoll: every registration (target fd, events mask, data) from fdinfo.
//
// The restorer creates the epoll instance; the registrations are made in the
// task itself (after_install, injected epoll_ctl) once all its fds are at
// their numbers, because epoll keys a registration by (file, fd number) and
// only the task's own numbers give back the same keys. Each description is
// filled once, by the first task that holds it (the same task whose numbers
// the checkpoint recorded). The ready list is rebuilt by the kernel from the
// targets' state at EPOLL_CTL_ADD.
#include "cr/files/fdinfo.hpp"
#include "cr/files/files.hpp"
#include "cr/files/object_kinds.hpp"
#include "cr/objhash/leak_process.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <vector>

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

constexpr uint32_t max_targets = 1u << 20;

struct Registration {
    int tfd = -1;
    uint32_t events = 0;
    uint64_t data = 0;
};

// "tfd:        5 events:       19 data:                5  pos:0 ino:... sdev:..."
std::vector<Registration> registrations(pid_t pid, int fd) {
    std::vector<Registration> out;
    for (const auto& line : fdinfo_lines(pid, fd)) {
        if (!line.starts_with("tfd:")) continue;
        int tfd = -1;
        unsigned events = 0;
        unsigned long long data = 0;
        if (std::sscanf(line.c_str(), "tfd: %d events: %x data: %llx", &tfd, &events, &data) != 3 || tfd < 0)
            fail("fd {} of pid {} (epoll): cannot parse the fdinfo line \"{}\"", fd, pid, line);
        out.push_back(Registration{tfd, events, data});
    }
    return out;
}

// A registration's target must still be open at the fd number it was added
// with (KCMP_EPOLL_TFD compares the task's fd with the registered file):
// otherwise the task's own numbers cannot recreate it.
void check_targets(pid_t pid, const OpenFd& fd, const std::vector<Registration>& regs) {
    std::map<int, uint32_t> seen;  // tfd -> registrations met with it (toff)
    for (const auto& reg : regs) {
        kcmp_epoll_slot slot{static_cast<uint32_t>(fd.fd), static_cast<uint32_t>(reg.tfd), seen[reg.tfd]++};
        long rc = ::syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, static_cast<unsigned long>(reg.tfd),
                            reinterpret_cast<unsigned long>(&slot));
        if (rc != 0)
            fail("fd {} of pid {} is an epoll instance ({}) with a registration for fd {} that the task has closed "
                 "(or replaced by another file): the target is still registered but cannot be named by the task's "
                 "fd numbers, so it cannot be restored",
                 fd.fd, pid, fd.link, reg.tfd);
    }
}

struct PendingRegistrations {
    std::map<uint64_t, std::vector<img::EpollTargetRecord>> by_objref;
};

class EpollKind final : public FdKindOps {
public:
    std::string_view name() const override { return "epoll"; }
    uint32_t file_kind() const override { return img::file_kind_epoll; }
    bool claims(const OpenFd& fd) const override { return fd.what == "epoll"; }

    void check(pid_t pid, const OpenFd& fd, DumpContext&) const override { check_targets(pid, fd, registrations(pid, fd.fd)); }

    void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext&, img::RecordWriter& w) const override {
        auto regs = registrations(pid, fd.fd);
        check_targets(pid, fd, regs);
        w.write<img::RecordType::epoll>(img::EpollRecord{static_cast<uint32_t>(regs.size()), 0}, objref);
        for (const auto& reg : regs)
            w.write<img::RecordType::epoll_target>(img::EpollTargetRecord{reg.tfd, reg.events, reg.data}, objref);
    }

    UniqueFd restore(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& file) const override {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::epoll>(&h);
        if (h.objref != objref) r.fail_at("EPOLL record for objref {} follows the FILE of {}", h.objref, objref);
        if (rec.reserved != 0 || rec.nr_targets > max_targets) r.fail_at("EPOLL objref {}: {} targets", objref, rec.nr_targets);
        if ((file.flags & O_ACCMODE) != O_RDWR) r.fail_at("EPOLL objref {}: an epoll instance is always read-write", objref);
        std::vector<img::EpollTargetRecord> targets;
        for (uint32_t i = 0; i < rec.nr_targets; ++i) {
            img::RecordHeader th{};
            auto t = r.expect<img::RecordType::epoll_target>(&th);
            if (th.objref != objref) r.fail_at("EPOLL_TARGET of objref {} inside EPOLL objref {}", th.objref, objref);
            if (t.fd < 0 || t.fd >= (1 << 20)) r.fail_at("EPOLL objref {}: target fd {} out of range", objref, t.fd);
            for (const auto& other : targets)
                if (other.fd == t.fd) r.fail_at("EPOLL objref {}: fd {} registered twice", objref, t.fd);
            targets.push_back(t);
        }
        UniqueFd fd(::epoll_create1(EPOLL_CLOEXEC));
        if (!fd) throw_errno("epoll_create1 for objref {}", objref);
        if (file.flags & O_NONBLOCK) ::myrt::check(::fcntl(fd.get(), F_SETFL, O_NONBLOCK), "O_NONBLOCK on epoll objref {}", objref);
        ctx.state_of<PendingRegistrations>(file_kind()).by_objref[objref] = std::move(targets);
        return fd;
    }

    void after_install(pid_t pid, Injector& inj, RestoreContext& ctx, const FdEntry& e) const override {
        auto& pending = ctx.state_of<PendingRegistrations>(file_kind()).by_objref;
        auto it = pending.find(e.file_objref);
        if (it == pending.end()) return;  // filled through an earlier fd of the same description
        auto targets = std::move(it->second);
        pending.erase(it);
        if (targets.empty()) return;
        RemoteScratch scratch(inj, 4096);
        for (const auto& t : targets) {
            epoll_event ev{};
            ev.events = t.events;
            ev.data.u64 = t.data;
            uint64_t addr = scratch.put(0, ev);
            inj.checked(fmt::format("epoll_ctl ADD of fd {} to epoll fd {} in pid {}", t.fd, e.fd, pid), SYS_epoll_ctl,
                        static_cast<uint64_t>(e.fd), EPOLL_CTL_ADD, static_cast<uint64_t>(t.fd), addr);
        }
        scratch.release();
    }
};

}  // namespace

std::unique_ptr<FdKindOps> make_epoll_kind() { return std::make_unique<EpollKind>(); }

}  // namespace myrt::cr::files
