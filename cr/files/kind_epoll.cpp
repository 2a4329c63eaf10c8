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
    int via = -1;  // the target's number closed (or reused): another fd of the task on the registered file
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

// A registration's target should still be open at the fd number it was
// added with (KCMP_EPOLL_TFD compares the task's fd with the registered
// file). When the task closed that number (or put another file there) while
// the file stays open through another of its fds, that fd is recorded: the
// restore puts the file back at the number for the EPOLL_CTL_ADD only.
void find_targets(pid_t pid, const OpenFd& fd, std::vector<Registration>& regs) {
    std::map<int, uint32_t> seen;  // tfd -> registrations met with it (toff)
    std::vector<OpenFd> fds;       // the task's fds, read once if needed
    for (auto& reg : regs) {
        kcmp_epoll_slot slot{static_cast<uint32_t>(fd.fd), static_cast<uint32_t>(reg.tfd), seen[reg.tfd]++};
        auto same = [&](int candidate) {
            return ::syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, static_cast<unsigned long>(candidate),
                             reinterpret_cast<unsigned long>(&slot)) == 0;
        };
        if (same(reg.tfd)) continue;
        if (fds.empty()) fds = scan_fds(pid);
        for (const auto& other : fds)
            if (other.fd != reg.tfd && same(other.fd)) {
                reg.via = other.fd;
                break;
            }
        if (reg.via < 0)
            fail("fd {} of pid {} is an epoll instance ({}) with a registration for fd {} that the task has closed "
                 "(or replaced by another file) and whose file no other fd of the task holds: it cannot be restored",
                 fd.fd, pid, fd.link, reg.tfd);
    }
}

struct Target {
    img::EpollTargetRecord rec;
    int via = -1;
};

struct PendingRegistrations {
    std::map<uint64_t, std::vector<Target>> by_objref;
};

// The registration of a target whose number the task closed: its file is put
// at that number (what was there, if anything, is kept aside and put back
// with its close-on-exec flag) for the EPOLL_CTL_ADD only.
void add_through(pid_t pid, Injector& inj, int epfd, const Target& t, uint64_t ev_addr) {
    const auto tfd = static_cast<uint64_t>(t.rec.fd);
    long fdflags = inj.syscall(SYS_fcntl, tfd, F_GETFD);  // -EBADF: the number is free
    long aside = -1;
    if (fdflags >= 0)
        aside = inj.checked(fmt::format("F_DUPFD of fd {} in pid {}", t.rec.fd, pid), SYS_fcntl, tfd, F_DUPFD_CLOEXEC, 0);
    inj.checked(fmt::format("dup2 of fd {} to {} in pid {}", t.via, t.rec.fd, pid), SYS_dup2, static_cast<uint64_t>(t.via), tfd);
    inj.checked(fmt::format("epoll_ctl ADD of fd {} (the file of fd {}) to epoll fd {} in pid {}", t.rec.fd, t.via, epfd, pid),
                SYS_epoll_ctl, static_cast<uint64_t>(epfd), EPOLL_CTL_ADD, tfd, ev_addr);
    if (aside >= 0) {
        inj.checked(fmt::format("dup3 back to fd {} in pid {}", t.rec.fd, pid), SYS_dup3, static_cast<uint64_t>(aside), tfd,
                    (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0);
        inj.checked("close", SYS_close, static_cast<uint64_t>(aside));
    } else {
        inj.checked(fmt::format("close of fd {} in pid {}", t.rec.fd, pid), SYS_close, tfd);
    }
}


class EpollKind final : public FdKindOps {
public:
    std::string_view name() const override { return "epoll"; }
    uint32_t file_kind() const override { return img::file_kind_epoll; }
    bool claims(const OpenFd& fd) const override { return fd.what == "epoll"; }

    void check(pid_t pid, const OpenFd& fd, DumpContext&) const override {
        auto regs = registrations(pid, fd.fd);
        find_targets(pid, fd, regs);
    }

    void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext&, img::RecordWriter& w) const override {
        auto regs = registrations(pid, fd.fd);
        find_targets(pid, fd, regs);
        w.write<img::RecordType::epoll>(img::EpollRecord{static_cast<uint32_t>(regs.size()), 0}, objref);
        for (const auto& reg : regs) {
            if (reg.via >= 0) w.write<img::RecordType::epoll_target_via>(img::EpollTargetViaRecord{reg.via, 0}, objref);
            w.write<img::RecordType::epoll_target>(img::EpollTargetRecord{reg.tfd, reg.events, reg.data}, objref);
        }
    }

    UniqueFd restore(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& file) const override {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::epoll>(&h);
        if (h.objref != objref) r.fail_at("EPOLL record for objref {} follows the FILE of {}", h.objref, objref);
        if (rec.reserved != 0 || rec.nr_targets > max_targets) r.fail_at("EPOLL objref {}: {} targets", objref, rec.nr_targets);
        if ((file.flags & O_ACCMODE) != O_RDWR) r.fail_at("EPOLL objref {}: an epoll instance is always read-write", objref);
        std::vector<Target> targets;
        for (uint32_t i = 0; i < rec.nr_targets; ++i) {
            // An EPOLL_TARGET_VIA may come first: the number was closed, the file is at `via`.
            int via = -1;
            auto th = r.next();
            if (th && th->type == static_cast<uint32_t>(img::RecordType::epoll_target_via)) {
                auto v = r.read_fixed<img::RecordType::epoll_target_via>();
                if (th->objref != objref) r.fail_at("EPOLL_TARGET_VIA of objref {} inside EPOLL objref {}", th->objref, objref);
                if (v.reserved != 0 || v.via_fd < 0 || v.via_fd >= (1 << 20))
                    r.fail_at("EPOLL objref {}: a target held through fd {}", objref, v.via_fd);
                via = v.via_fd;
                th = r.next();
            }
            if (!th || th->type != static_cast<uint32_t>(img::RecordType::epoll_target))
                r.fail_at("EPOLL objref {}: expected {} EPOLL_TARGET records, found {}", objref, rec.nr_targets, i);
            auto t = r.read_fixed<img::RecordType::epoll_target>();
            if (th->objref != objref) r.fail_at("EPOLL_TARGET of objref {} inside EPOLL objref {}", th->objref, objref);
            if (t.fd < 0 || t.fd >= (1 << 20)) r.fail_at("EPOLL objref {}: target fd {} out of range", objref, t.fd);
            if (via == t.fd) r.fail_at("EPOLL objref {}: target fd {} held through itself", objref, t.fd);
            // The kernel keys a registration by (file, fd number): a number reused
            // after a close may be registered again for its new file, never twice
            // for the file it holds now or through the same other fd.
            for (const auto& other : targets)
                if (other.rec.fd == t.fd && other.via == via)
                    r.fail_at("EPOLL objref {}: fd {} registered twice", objref, t.fd);
            targets.push_back(Target{t, via});
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
            ev.events = t.rec.events;
            ev.data.u64 = t.rec.data;
            uint64_t addr = scratch.put(0, ev);
            if (t.via >= 0) {
                add_through(pid, inj, e.fd, t, addr);
                continue;
            }
            inj.checked(fmt::format("epoll_ctl ADD of fd {} to epoll fd {} in pid {}", t.rec.fd, e.fd, pid), SYS_epoll_ctl,
                        static_cast<uint64_t>(e.fd), EPOLL_CTL_ADD, static_cast<uint64_t>(t.rec.fd), addr);
        }
        scratch.release();
    }
};

}  // namespace

std::unique_ptr<FdKindOps> make_epoll_kind() { return std::make_unique<EpollKind>(); }

}  // namespace myrt::cr::files
