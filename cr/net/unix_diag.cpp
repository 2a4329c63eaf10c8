#include "cr/net/unix_diag.hpp"

#include "cr/net/in_container_ns.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

#include <cstring>

namespace myrt::cr::net {

namespace {

void parse_attrs(const unix_diag_msg* msg, size_t len, UnixDiag& d) {
    auto* attr = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(msg) + NLMSG_ALIGN(sizeof(*msg)));
    size_t left = len - NLMSG_ALIGN(sizeof(*msg));
    while (left >= sizeof(nlattr)) {
        if (attr->nla_len < sizeof(nlattr) || attr->nla_len > left) fail("sock_diag: malformed attribute for socket:[{}]", d.ino);
        const char* data = reinterpret_cast<const char*>(attr) + NLA_HDRLEN;
        size_t dlen = attr->nla_len - NLA_HDRLEN;
        switch (attr->nla_type & NLA_TYPE_MASK) {
        case UNIX_DIAG_NAME:
            d.name.assign(data, dlen);
            // A path comes with its terminating NUL; an abstract name is all its bytes.
            if (!d.name.empty() && d.name[0] != '\0') d.name = d.name.substr(0, d.name.find('\0'));
            break;
        case UNIX_DIAG_VFS:
            if (dlen >= sizeof(unix_diag_vfs)) {
                unix_diag_vfs v;
                std::memcpy(&v, data, sizeof v);
                d.has_vfs = true;
                d.vfs_ino = v.udiag_vfs_ino;
                d.vfs_dev = v.udiag_vfs_dev;
            }
            break;
        case UNIX_DIAG_PEER:
            if (dlen >= 4) {
                uint32_t p;
                std::memcpy(&p, data, 4);
                d.peer = p;
            }
            break;
        case UNIX_DIAG_ICONS:
            for (size_t off = 0; off + 4 <= dlen; off += 4) {
                uint32_t p;
                std::memcpy(&p, data + off, 4);
                d.icons.push_back(p);
            }
            break;
        case UNIX_DIAG_RQLEN:
            if (dlen >= sizeof(unix_diag_rqlen)) {
                unix_diag_rqlen q;
                std::memcpy(&q, data, sizeof q);
                d.rqueue = q.udiag_rqueue;
                d.wqueue = q.udiag_wqueue;
            }
            break;
        case UNIX_DIAG_SHUTDOWN:
            if (dlen >= 1) d.shutdown = static_cast<uint8_t>(data[0]);
            break;
        default: break;
        }
        size_t step = NLA_ALIGN(attr->nla_len);
        if (step >= left) break;
        left -= step;
        attr = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(attr) + step);
    }
}

}  // namespace

std::map<uint64_t, UnixDiag> unix_sockets_of_netns(pid_t pid) {
    // sock_diag answers for the namespace the netlink socket was created in.
    UniqueFd nl;
    run_in_container_ns(pid, false, [&] {
        nl.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
        if (!nl) throw_errno("creating a NETLINK_SOCK_DIAG socket in the network namespace of pid {}", pid);
    });
    struct {
        nlmsghdr nlh;
        unix_diag_req req;
    } msg{};
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.nlh.nlmsg_seq = 1;
    msg.req.sdiag_family = AF_UNIX;
    msg.req.udiag_states = ~0u;
    msg.req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_PEER | UDIAG_SHOW_ICONS | UDIAG_SHOW_RQLEN |
                         UDIAG_SHOW_MEMINFO;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(nl.get(), &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
        throw_errno("sock_diag request for the unix sockets of pid {}'s network namespace", pid);

    std::map<uint64_t, UnixDiag> out;
    std::vector<char> buf(1 << 16);
    for (;;) {
        ssize_t n = ::recv(nl.get(), buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("reading the sock_diag answer for pid {}'s network namespace", pid);
        }
        if (n == 0) fail("sock_diag: the answer for pid {}'s network namespace ended early", pid);
        size_t len = static_cast<size_t>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE) return out;
            if (h->nlmsg_type == NLMSG_ERROR) {
                auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
                errno = -e->error;
                throw_errno("sock_diag for the unix sockets of pid {}'s network namespace (is unix_diag loaded?)", pid);
            }
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg))) fail("sock_diag: short unix_diag message");
            auto* m = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
            UnixDiag d;
            d.ino = m->udiag_ino;
            d.type = m->udiag_type;
            d.state = m->udiag_state;
            parse_attrs(m, h->nlmsg_len - NLMSG_LENGTH(0), d);
            out[d.ino] = std::move(d);
        }
    }
}

}  // namespace myrt::cr::net
