#include "cr/ipc/mqueue_fd.hpp"

#include <fcntl.h>
#include <mqueue.h>

#include <fmt/format.h>

#include "cr/files/files.hpp"
#include "cr/ipc/ipc_ns.hpp"
#include "util/error.hpp"

namespace myrt::cr::ipc {
namespace {

namespace img = myrt::cr::image;

class MqueueFdKind final : public files::FdKindOps {
public:
    std::string_view name() const override { return "POSIX message queue"; }
    uint32_t file_kind() const override { return img::file_kind_mqueue; }
    bool claims(const files::OpenFd& fd) const override { return fd.what == "POSIX message queue"; }

    void check(pid_t pid, const files::OpenFd& fd, files::DumpContext&) const override {
        if (fd.st.st_nlink == 0 || fd.link.size() < 2 || fd.link.find('/', 1) != std::string::npos)
            fail("fd {} of pid {} is a POSIX message queue that was unlinked ({}): not supported", fd.fd, pid, fd.link);
    }

    void dump(pid_t, const files::OpenFd& fd, uint64_t objref, files::DumpContext&, img::RecordWriter& w) const override {
        w.write_string(fd.link.substr(1), objref);  // the queue itself is in the IPC section
    }

    UniqueFd restore(img::RecordReader& r, files::RestoreContext& ctx, uint64_t objref,
                     const img::FileRecord& rec) const override {
        auto h = r.next();
        if (!h || h->type != static_cast<uint32_t>(img::RecordType::string) || h->objref != objref)
            r.fail_at("a POSIX queue descriptor (objref {}) without its queue's name", objref);
        auto name = r.read_string();
        if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos || name == "." || name == "..")
            r.fail_at("POSIX queue descriptor (objref {}) names \"{}\"", objref, name);
        if (rec.flags & ~static_cast<uint32_t>(O_ACCMODE | O_NONBLOCK | O_LARGEFILE))
            r.fail_at("POSIX queue descriptor /{} with flags {:#o}", name, rec.flags);
        if ((rec.flags & O_ACCMODE) == O_ACCMODE) r.fail_at("POSIX queue descriptor /{} with access mode 3", name);
        InIpcNamespace in(ctx.init_pid);
        auto path = "/" + name;
        int flags = static_cast<int>(rec.flags & (O_ACCMODE | O_NONBLOCK)) | O_CLOEXEC;
        mqd_t q = ::mq_open(path.c_str(), flags);
        if (q == static_cast<mqd_t>(-1)) throw_errno("reopen POSIX queue {} (objref {})", path, objref);
        return UniqueFd(q);
    }
};

}  // namespace

std::unique_ptr<files::FdKindOps> make_mqueue_fd_kind() { return std::make_unique<MqueueFdKind>(); }

}  // namespace myrt::cr::ipc
