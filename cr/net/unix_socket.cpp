#include "cr/net/unix_socket.hpp"

#include "cr/net/unix_dump.hpp"
#include "cr/net/unix_restore.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

constexpr uint32_t kind = img::file_kind_unix_socket;

struct UnixRestoreState {
    bool loaded = false;
    std::map<uint64_t, UniqueFd> fds;
};

class UnixSocketKind final : public files::FdKindOps {
public:
    std::string_view name() const override { return "unix socket"; }
    uint32_t file_kind() const override { return kind; }

    // Every socket but TCP and UDP (the inet kind's): the family is only known
    // from the socket itself, and the check names it when it is not AF_UNIX.
    bool claims(const files::OpenFd& fd) const override {
        if (!fd.link.starts_with("socket:[")) return false;
        const std::string& p = fd.sock_proto;
        return p != "TCP" && p != "TCPv6" && p != "UDP" && p != "UDPv6";
    }

    void check(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx) const override {
        check_unix_fd(pid, fd, ctx, unix_dump_state(ctx));
    }

    void dump(pid_t pid, const files::OpenFd& fd, uint64_t objref, files::DumpContext& ctx, img::RecordWriter& w) const override {
        auto& st = unix_dump_state(ctx);
        check_unix_fd(pid, fd, ctx, st);
        img::UnixFileRecord rec{};
        rec.sock_id = fd.st.st_ino;
        if (!st.table_written) rec.nr_table = static_cast<uint32_t>(st.table.size());
        w.write<img::RecordType::unix_file>(rec, objref);
        if (!st.table_written) {
            dump_unix_in_flight(ctx, st, w);  // their descriptions first: the table names their objrefs
            write_table(st.table, objref, w);
            st.table_written = true;
        }
    }

    UniqueFd restore(img::RecordReader& r, files::RestoreContext& ctx, uint64_t objref, const img::FileRecord& rec) const override {
        if ((rec.mode & S_IFMT) != S_IFSOCK) r.fail_at("FILE objref {}: a unix socket with mode {:o}", objref, rec.mode);
        img::RecordHeader h{};
        auto uf = r.expect<img::RecordType::unix_file>(&h);
        if (h.objref != objref) r.fail_at("UNIX_FILE for objref {} follows the FILE of {}", h.objref, objref);
        if (uf.reserved != 0) r.fail_at("UNIX_FILE objref {}: reserved field is not zero", objref);
        auto& p = ctx.state_of<std::shared_ptr<UnixRestoreState>>(kind);
        if (!p) p = std::make_shared<UnixRestoreState>();
        if (uf.nr_table > 0) {
            if (p->loaded) r.fail_at("UNIX_FILE objref {}: a second socket table", objref);
            // The descriptions in flight come first, then the table's first socket.
            auto h1 = r.next();
            while (h1 && h1->type == static_cast<uint32_t>(img::RecordType::objref)) {
                files::read_object(r, ctx, *h1);
                h1 = r.next();
            }
            if (!h1) r.fail_at("UNIX_FILE objref {}: the image ends before its table", objref);
            UnixTable table = read_table(r, objref, uf.nr_table, &*h1);
            std::map<uint64_t, int> files_in_flight;
            for (const UnixSocket& s : table)
                for (const UnixMessage& m : s.queue)
                    for (const UnixFdInFlight& f : m.fds)
                        if (f.kind == img::unix_scm_fd_file) files_in_flight[f.ref] = files::description_fd(ctx, f.ref);
            p->fds = recreate_unix_sockets(table, ctx.init_pid, ctx.as_task ? &ctx.as_task->credentials() : nullptr,
                                           files_in_flight);
            p->loaded = true;
        }
        if (!p->loaded) r.fail_at("UNIX_FILE objref {}: a socket before the socket table", objref);
        auto it = p->fds.find(uf.sock_id);
        if (it == p->fds.end() || !it->second)
            r.fail_at("UNIX_FILE objref {}: socket {} is not a held socket of the table, or a second description of it", objref,
                      uf.sock_id);
        UniqueFd fd = std::move(it->second);
        int fl = myrt::check(::fcntl(fd.get(), F_GETFL), "F_GETFL on unix socket {}", uf.sock_id);
        fl = (fl & ~(O_NONBLOCK | O_ASYNC)) | static_cast<int>(rec.flags & (O_NONBLOCK | O_ASYNC));
        myrt::check(::fcntl(fd.get(), F_SETFL, fl), "F_SETFL on unix socket {}", uf.sock_id);
        return fd;
    }
};

}  // namespace

std::unique_ptr<files::FdKindOps> make_unix_socket_kind() { return std::make_unique<UnixSocketKind>(); }

void allow_external_unix_peers(files::DumpContext& ctx, bool allow) { unix_dump_state(ctx).allow_external = allow; }

}  // namespace myrt::cr::net
