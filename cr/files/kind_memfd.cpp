// memfd: name, contents, size, permission bits and seals of the inode, and
// each description's access mode and offset. Descriptions of one memfd
// (reopened through /proc/PID/fd) share one inode again after restore: the
// first introduces it with its contents, the others name it.
#include "cr/files/fdinfo.hpp"
#include "cr/files/files.hpp"
#include "cr/files/object_kinds.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

constexpr size_t chunk = 1u << 20;
constexpr uint64_t max_memfd_size = 1ull << 40;
constexpr uint32_t known_seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
#ifdef F_SEAL_EXEC
                                 | F_SEAL_EXEC
#else
                                 | 0x0020
#endif
    ;
constexpr size_t max_name = 249;  // memfd_create's limit

// "/memfd:NAME (deleted)" -> "NAME"
std::string memfd_name(const std::string& link) {
    std::string name = link.substr(7);
    if (name.ends_with(" (deleted)")) name.resize(name.size() - 10);
    return name;
}

struct DumpedInodes {
    std::map<std::pair<uint64_t, uint64_t>, uint64_t> first_objref;
};
struct RestoredInodes {
    std::map<uint64_t, std::shared_ptr<UniqueFd>> by_objref;  // std::any needs a copyable state
};

class MemfdKind final : public FdKindOps {
public:
    std::string_view name() const override { return "memfd"; }
    uint32_t file_kind() const override { return img::file_kind_memfd; }
    bool claims(const OpenFd& fd) const override { return fd.what == "memfd" && (fd.st.st_mode & S_IFMT) == S_IFREG; }

    void check(pid_t pid, const OpenFd& fd, DumpContext&) const override {
        struct statfs sfs {};
        if (::statfs(fmt::format("/proc/{}/fd/{}", pid, fd.fd).c_str(), &sfs) < 0)
            throw_errno("statfs of memfd at fd {} of pid {}", fd.fd, pid);
        if (sfs.f_type != TMPFS_MAGIC)
            fail("fd {} of pid {} is a memfd on hugetlbfs ({}): hugetlb memfds are not supported", fd.fd, pid, fd.link);
        if (memfd_name(fd.link).size() > max_name) fail("fd {} of pid {}: memfd name too long ({})", fd.fd, pid, fd.link);
    }

    void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext& ctx, img::RecordWriter& w) const override {
        auto& inodes = ctx.state_of<DumpedInodes>(file_kind()).first_objref;
        img::MemfdRecord rec{};
        rec.pos = fd.pos;
        rec.size = static_cast<uint64_t>(fd.st.st_size);
        rec.mode = fd.st.st_mode & 07777;
        std::string proc = fmt::format("/proc/{}/fd/{}", pid, fd.fd);
        // A fresh read-only description: the task's offset is not touched,
        // and a write-only fd can still be read.
        UniqueFd in(::open(proc.c_str(), O_RDONLY | O_CLOEXEC));
        if (!in) throw_errno("reopening memfd {} (fd {} of pid {})", fd.link, fd.fd, pid);
        int seals = ::fcntl(in.get(), F_GET_SEALS);
        if (seals < 0) throw_errno("F_GET_SEALS on memfd {} (fd {} of pid {})", fd.link, fd.fd, pid);
        rec.seals = static_cast<uint32_t>(seals);
        if (rec.seals & ~known_seals) fail("fd {} of pid {} (memfd {}): unknown seals {:#x}", fd.fd, pid, fd.link, rec.seals);
        if (rec.size > max_memfd_size) fail("fd {} of pid {} (memfd {}): {} bytes is too large", fd.fd, pid, fd.link, rec.size);
        auto key = std::make_pair(static_cast<uint64_t>(fd.st.st_dev), static_cast<uint64_t>(fd.st.st_ino));
        auto it = inodes.find(key);
        rec.inode_objref = it == inodes.end() ? 0 : it->second;
        if (it == inodes.end()) inodes.emplace(key, objref);
        w.write<img::RecordType::memfd>(rec, objref);
        w.write_string(memfd_name(fd.link), objref);
        if (rec.inode_objref != 0) return;
        std::vector<std::byte> buf(std::min<uint64_t>(chunk, std::max<uint64_t>(rec.size, 1)));
        for (uint64_t done = 0; done < rec.size;) {
            size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), rec.size - done));
            ssize_t n = ::pread(in.get(), buf.data(), want, static_cast<off_t>(done));
            if (n < 0) throw_errno("reading memfd {} (fd {} of pid {})", fd.link, fd.fd, pid);
            if (n == 0) fail("memfd {} (fd {} of pid {}) shrank while it was read", fd.link, fd.fd, pid);
            w.write_buffer(std::span(buf.data(), static_cast<size_t>(n)), objref);
            done += static_cast<uint64_t>(n);
        }
    }

    UniqueFd restore(img::RecordReader& r, RestoreContext& ctx, uint64_t objref, const img::FileRecord& file) const override {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::memfd>(&h);
        if (h.objref != objref) r.fail_at("MEMFD record for objref {} follows the FILE of {}", h.objref, objref);
        if (rec.seals & ~known_seals) r.fail_at("MEMFD objref {}: unknown seals {:#x}", objref, rec.seals);
        if (rec.size > max_memfd_size || rec.mode > 07777 || rec.pos > static_cast<uint64_t>(INT64_MAX))
            r.fail_at("MEMFD objref {}: size, mode or offset out of range", objref);
        if ((file.flags & O_PATH) || (file.mode & S_IFMT) != S_IFREG) r.fail_at("MEMFD objref {}: not a regular file", objref);
        auto sh = r.next();
        if (!sh || sh->type != static_cast<uint32_t>(img::RecordType::string) || sh->objref != objref)
            r.fail_at("MEMFD objref {}: expected its name in a STRING record", objref);
        std::string name = r.read_string();
        if (name.size() > max_name || name.find('\0') != std::string::npos) r.fail_at("MEMFD objref {}: bad name", objref);
        auto& inodes = ctx.state_of<RestoredInodes>(file_kind()).by_objref;
        int inode_fd = -1;
        if (rec.inode_objref != 0) {
            auto it = inodes.find(rec.inode_objref);
            if (it == inodes.end()) r.fail_at("MEMFD objref {}: names memfd objref {}, not met before", objref, rec.inode_objref);
            inode_fd = it->second->get();
        } else {
            UniqueFd mfd(::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
            if (!mfd) throw_errno("memfd_create({}) for objref {}", name, objref);
            uint64_t done = 0;
            while (done < rec.size) {
                auto bh = r.next();
                if (!bh || bh->type != static_cast<uint32_t>(img::RecordType::buffer) || bh->objref != objref)
                    r.fail_at("MEMFD objref {}: expected {} more bytes of contents", objref, rec.size - done);
                auto data = r.read_buffer();
                if (data.size() > rec.size - done) r.fail_at("MEMFD objref {}: contents longer than {} bytes", objref, rec.size);
                for (size_t off = 0; off < data.size();) {
                    ssize_t n = ::pwrite(mfd.get(), data.data() + off, data.size() - off, static_cast<off_t>(done + off));
                    if (n <= 0) throw_errno("filling memfd {} (objref {})", name, objref);
                    off += static_cast<size_t>(n);
                }
                done += data.size();
            }
            ::myrt::check(::ftruncate(mfd.get(), static_cast<off_t>(rec.size)), "sizing memfd {} to {}", name, rec.size);
            ::myrt::check(::fchmod(mfd.get(), static_cast<mode_t>(rec.mode)), "mode {:o} on memfd {}", rec.mode, name);
            if (rec.seals) ::myrt::check(::fcntl(mfd.get(), F_ADD_SEALS, static_cast<int>(rec.seals)), "sealing memfd {} with {:#x}", name, rec.seals);
            inode_fd = mfd.get();
            inodes.emplace(objref, std::make_shared<UniqueFd>(std::move(mfd)));
        }
        std::string self = fmt::format("/proc/self/fd/{}", inode_fd);
        uint32_t flags = file.flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOATIME);
        UniqueFd out(::open(self.c_str(), static_cast<int>(flags) | O_CLOEXEC));
        if (!out) throw_errno("reopening memfd {} (objref {}) with flags {:o}", name, objref, flags);
        if (::lseek(out.get(), static_cast<off_t>(rec.pos), SEEK_SET) != static_cast<off_t>(rec.pos))
            throw_errno("seeking memfd {} to {}", name, rec.pos);
        return out;
    }
};

}  // namespace

std::unique_ptr<FdKindOps> make_memfd_kind() { return std::make_unique<MemfdKind>(); }

}  // namespace myrt::cr::files
