// The two fd kinds: a pty master (/dev/ptmx, 5:2) and a pty slave (136:N).
#include "cr/tty/pty_internal.hpp"

namespace myrt::cr::tty {

namespace {

class PtyKind : public files::FdKindOps {
public:
    explicit PtyKind(bool master) : master_(master) {}
    std::string_view name() const override { return master_ ? "pty master" : "pty slave"; }
    uint32_t file_kind() const override { return master_ ? image::file_kind_pty_master : image::file_kind_pty_slave; }
    bool claims(const files::OpenFd& fd) const override {
        if (!S_ISCHR(fd.st.st_mode)) return false;
        return master_ ? is_ptmx_rdev(fd.st.st_rdev) : is_pty_slave_rdev(fd.st.st_rdev);
    }
    void check(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx) const override {
        check_pty_fd(pid, fd, ctx, master_);
    }
    void dump(pid_t pid, const files::OpenFd& fd, uint64_t objref, files::DumpContext& ctx,
              image::RecordWriter& w) const override {
        dump_pty_fd(pid, fd, objref, ctx, w, master_);
    }
    UniqueFd restore(image::RecordReader& r, files::RestoreContext& ctx, uint64_t objref,
                     const image::FileRecord& rec) const override {
        return restore_pty_fd(r, ctx, objref, rec, master_);
    }
    void after_install(pid_t pid, Injector& inj, files::RestoreContext& ctx, const files::FdEntry& fd) const override {
        pty_after_install(pid, inj, ctx, fd);
    }

private:
    bool master_;
};

}  // namespace

std::unique_ptr<files::FdKindOps> make_pty_master_kind() { return std::make_unique<PtyKind>(true); }
std::unique_ptr<files::FdKindOps> make_pty_slave_kind() { return std::make_unique<PtyKind>(false); }

}  // namespace myrt::cr::tty
