// signalfd: its signal mask (fdinfo "sigmask"), recreated with signalfd4.
// Pending signals belong to the task, not to the signalfd: the task layer
// restores them, and the signalfd reads them again after restore.
#include "cr/files/fdinfo.hpp"
#include "cr/files/files.hpp"
#include "cr/files/object_kinds.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

class SignalfdKind final : public FdKindOps {
public:
    std::string_view name() const override { return "signalfd"; }
    uint32_t file_kind() const override { return img::file_kind_signalfd; }
    bool claims(const OpenFd& fd) const override { return fd.what == "signalfd"; }

    void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext&, img::RecordWriter& w) const override {
        auto lines = fdinfo_lines(pid, fd.fd);
        img::SignalfdRecord rec{};
        rec.sigmask = parse_number(fdinfo_require(lines, "sigmask", "signalfd", pid, fd.fd), 16,
                                   fmt::format("signalfd mask of fd {} of pid {}", fd.fd, pid));
        w.write<img::RecordType::signalfd>(rec, objref);
    }

    UniqueFd restore(img::RecordReader& r, RestoreContext&, uint64_t objref, const img::FileRecord& file) const override {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::signalfd>(&h);
        if (h.objref != objref) r.fail_at("SIGNALFD record for objref {} follows the FILE of {}", h.objref, objref);
        if ((file.flags & O_ACCMODE) != O_RDWR) r.fail_at("SIGNALFD objref {}: a signalfd is always read-write", objref);
        // The raw syscall takes the kernel's 64-bit mask as is (glibc's
        // sigaddset refuses its own internal signals 32 and 33).
        uint64_t mask = rec.sigmask;
        int flags = SFD_CLOEXEC | ((file.flags & O_NONBLOCK) ? SFD_NONBLOCK : 0);
        UniqueFd fd(static_cast<int>(::syscall(SYS_signalfd4, -1, &mask, sizeof mask, flags)));
        if (!fd) throw_errno("signalfd for objref {} (mask {:#x})", objref, mask);
        return fd;
    }
};

}  // namespace

std::unique_ptr<FdKindOps> make_signalfd_kind() { return std::make_unique<SignalfdKind>(); }

}  // namespace myrt::cr::files
