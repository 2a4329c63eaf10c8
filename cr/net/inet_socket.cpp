#include "cr/net/inet_socket.hpp"

#include "cr/net/inet_dump.hpp"
#include "cr/net/inet_restore.hpp"
#include "cr/net/proc_sockets.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>

namespace myrt::cr::net {

namespace img = myrt::cr::image;

namespace {

constexpr uint32_t kind = img::file_kind_inet_socket;

struct InetRestoreState {
    bool loaded = false;
    InetRestoreOptions opts;
    std::map<uint64_t, UniqueFd> fds;
};

InetRestoreState& restore_state(files::RestoreContext& ctx) {
    auto& p = ctx.state_of<std::shared_ptr<InetRestoreState>>(kind);
    if (!p) p = std::make_shared<InetRestoreState>();
    return *p;
}

class InetSocketKind final : public files::FdKindOps {
public:
    std::string_view name() const override { return "inet socket"; }
    uint32_t file_kind() const override { return kind; }

    bool claims(const files::OpenFd& fd) const override {
        return fd.link.starts_with("socket:[") &&
               (fd.sock_proto == "TCP" || fd.sock_proto == "TCPv6" || fd.sock_proto == "UDP" || fd.sock_proto == "UDPv6");
    }

    void check(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx) const override {
        check_inet_fd(pid, fd, ctx, inet_dump_state(ctx));
    }

    void dump(pid_t pid, const files::OpenFd& fd, uint64_t objref, files::DumpContext& ctx, img::RecordWriter& w) const override {
        auto& st = inet_dump_state(ctx);
        check_inet_fd(pid, fd, ctx, st);
        img::InetFileRecord rec{};
        rec.sock_id = socket_ino(fd.link);
        if (!st.table_written) rec.nr_table = static_cast<uint32_t>(st.table.size());
        w.write<img::RecordType::inet_file>(rec, objref);
        if (!st.table_written) {
            write_inet_table(st.table, objref, w);
            st.table_written = true;
        }
    }

    UniqueFd restore(img::RecordReader& r, files::RestoreContext& ctx, uint64_t objref, const img::FileRecord& rec) const override {
        if ((rec.mode & S_IFMT) != S_IFSOCK) r.fail_at("FILE objref {}: an inet socket with mode {:o}", objref, rec.mode);
        img::RecordHeader h{};
        auto f = r.expect<img::RecordType::inet_file>(&h);
        if (h.objref != objref) r.fail_at("INET_FILE for objref {} follows the FILE of {}", h.objref, objref);
        if (f.reserved != 0) r.fail_at("INET_FILE objref {}: reserved field is not zero", objref);
        auto& st = restore_state(ctx);
        if (f.nr_table > 0) {
            if (st.loaded) r.fail_at("INET_FILE objref {}: a second socket table", objref);
            InetTable table = read_inet_table(r, objref, f.nr_table);
            st.fds = recreate_inet_sockets(table, ctx.init_pid, st.opts);
            st.loaded = true;
        }
        if (!st.loaded) r.fail_at("INET_FILE objref {}: a socket before the socket table", objref);
        auto it = st.fds.find(f.sock_id);
        if (it == st.fds.end() || !it->second)
            r.fail_at("INET_FILE objref {}: socket {} is not in the table, or a second description of it", objref, f.sock_id);
        UniqueFd fd = std::move(it->second);
        int fl = myrt::check(::fcntl(fd.get(), F_GETFL), "F_GETFL on inet socket {}", f.sock_id);
        fl = (fl & ~(O_NONBLOCK | O_ASYNC)) | static_cast<int>(rec.flags & (O_NONBLOCK | O_ASYNC));
        myrt::check(::fcntl(fd.get(), F_SETFL, fl), "F_SETFL on inet socket {}", f.sock_id);
        return fd;
    }
};

}  // namespace

std::unique_ptr<files::FdKindOps> make_inet_socket_kind() { return std::make_unique<InetSocketKind>(); }

void configure_inet_dump(files::DumpContext& ctx, bool tcp_established, bool netns_external) {
    auto& st = inet_dump_state(ctx);
    st.tcp_established = tcp_established;
    st.netns_external = netns_external;
}

void commit_inet_dump(files::DumpContext& ctx) { inet_dump_state(ctx).committed = true; }

void release_inet_dump(files::DumpContext& ctx) { inet_dump_state(ctx).undo(); }

void configure_inet_restore(files::RestoreContext& ctx, bool tcp_close) { restore_state(ctx).opts.tcp_close = tcp_close; }

}  // namespace myrt::cr::net
