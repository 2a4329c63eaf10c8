// eventfd: its counter and semaphore mode (fdinfo), recreated with eventfd()
// and one write of the counter.
#include "cr/files/fdinfo.hpp"
#include "cr/files/files.hpp"
#include "cr/files/object_kinds.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

class EventfdKind final : public FdKindOps {
public:
    std::string_view name() const override { return "eventfd"; }
    uint32_t file_kind() const override { return img::file_kind_eventfd; }
    bool claims(const OpenFd& fd) const override { return fd.what == "eventfd"; }

    void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext&, img::RecordWriter& w) const override {
        auto lines = fdinfo_lines(pid, fd.fd);
        img::EventfdRecord rec{};
        std::string what = fmt::format("eventfd count of fd {} of pid {}", fd.fd, pid);
        rec.count = parse_number(fdinfo_require(lines, "eventfd-count", "eventfd", pid, fd.fd), 16, what);
        // Kernels before 6.6 do not show the mode; they are not supported (the mode would be lost).
        rec.semaphore = static_cast<uint32_t>(
            parse_number(fdinfo_require(lines, "eventfd-semaphore", "eventfd", pid, fd.fd), 10, "eventfd-semaphore"));
        w.write<img::RecordType::eventfd>(rec, objref);
    }

    UniqueFd restore(img::RecordReader& r, RestoreContext&, uint64_t objref, const img::FileRecord& file) const override {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::eventfd>(&h);
        if (h.objref != objref) r.fail_at("EVENTFD record for objref {} follows the FILE of {}", h.objref, objref);
        if (rec.reserved != 0 || rec.semaphore > 1) r.fail_at("EVENTFD objref {}: reserved or semaphore field out of range", objref);
        if (rec.count == UINT64_MAX) r.fail_at("EVENTFD objref {}: count {:#x} is beyond an eventfd's maximum", objref, rec.count);
        if ((file.flags & O_ACCMODE) != O_RDWR) r.fail_at("EVENTFD objref {}: an eventfd is always read-write", objref);
        int flags = EFD_CLOEXEC | (rec.semaphore ? EFD_SEMAPHORE : 0) | ((file.flags & O_NONBLOCK) ? EFD_NONBLOCK : 0);
        UniqueFd fd(::eventfd(0, flags));
        if (!fd) throw_errno("eventfd for objref {}", objref);
        if (rec.count != 0 && ::write(fd.get(), &rec.count, sizeof rec.count) != static_cast<ssize_t>(sizeof rec.count))
            throw_errno("setting the count of eventfd objref {} to {}", objref, rec.count);
        return fd;
    }
};

}  // namespace

std::unique_ptr<FdKindOps> make_eventfd_kind() { return std::make_unique<EventfdKind>(); }

}  // namespace myrt::cr::files
