#include "cr/net/inet_diag.hpp"

#include "cr/net/in_container_ns.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace myrt::cr::net {

namespace {

InetAddress address(uint8_t family, const __be32* addr, __be16 port) {
    InetAddress a;
    a.family = family;
    std::memcpy(a.addr.data(), addr, family == AF_INET ? 4 : 16);
    a.port = ntohs(port);
    return a;
}

void query(int nl, uint8_t family, uint8_t protocol, pid_t pid, std::vector<InetDiag>& out) {
    struct {
        nlmsghdr nlh;
        inet_diag_req_v2 req;
    } msg{};
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.nlh.nlmsg_seq = 1;
    msg.req.sdiag_family = family;
    msg.req.sdiag_protocol = protocol;
    msg.req.idiag_states = ~0u;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(nl, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
        throw_errno("sock_diag request for the inet sockets of pid {}'s network namespace", pid);
    std::vector<char> buf(1 << 16);
    for (;;) {
        ssize_t n = ::recv(nl, buf.data(), buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("reading the sock_diag answer for pid {}'s network namespace", pid);
        }
        if (n == 0) fail("sock_diag: the answer for pid {}'s network namespace ended early", pid);
        size_t len = static_cast<size_t>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE) return;
            if (h->nlmsg_type == NLMSG_ERROR) {
                auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
                errno = -e->error;
                throw_errno("sock_diag for the {} sockets of pid {}'s network namespace (is inet_diag loaded?)",
                            protocol == IPPROTO_TCP ? "TCP" : "UDP", pid);
            }
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) fail("sock_diag: short inet_diag message");
            auto* m = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
            InetDiag d;
            d.protocol = protocol;
            d.state = m->idiag_state;
            d.ino = m->idiag_inode;
            d.local = address(m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
            d.remote = address(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
            d.rqueue = m->idiag_rqueue;
            d.wqueue = m->idiag_wqueue;
            // Attributes: only the shutdown state is asked for (always sent).
            size_t left = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
            auto* attr = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(m) + NLMSG_ALIGN(sizeof(*m)));
            while (left >= sizeof(nlattr) && attr->nla_len >= sizeof(nlattr) && attr->nla_len <= left) {
                if ((attr->nla_type & NLA_TYPE_MASK) == INET_DIAG_SHUTDOWN && attr->nla_len >= NLA_HDRLEN + 1)
                    d.shutdown = static_cast<uint8_t>(reinterpret_cast<const char*>(attr)[NLA_HDRLEN]);
                size_t step = NLA_ALIGN(attr->nla_len);
                if (step >= left) break;
                left -= step;
                attr = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(attr) + step);
            }
            out.push_back(d);
        }
    }
}

}  // namespace

std::vector<InetDiag> inet_sockets_of_netns(pid_t pid) {
    // sock_diag answers for the namespace the netlink socket was created in.
    UniqueFd nl;
    run_in_container_ns(pid, false, [&] {
        nl.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
        if (!nl) throw_errno("creating a NETLINK_SOCK_DIAG socket in the network namespace of pid {}", pid);
    });
    std::vector<InetDiag> out;
    for (uint8_t family : {AF_INET, AF_INET6})
        for (uint8_t protocol : {IPPROTO_TCP, IPPROTO_UDP}) query(nl.get(), family, protocol, pid, out);
    return out;
}

}  // namespace myrt::cr::net
