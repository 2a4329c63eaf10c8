// The socket table comes back as written, and every inconsistent table (the
// image is hostile) is refused by read_table before anything is created.
#include "cr/image/host_info.hpp"
#include "cr/net/unix_table.hpp"
#include "cr/transport/memory_stream.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <functional>

using namespace myrt::cr;
using net::UnixSocket;
using net::UnixTable;

namespace {

UnixTable sample() {
    UnixSocket a, b, l, c, e;
    a.id = 10, a.peer_id = 11, a.type = SOCK_STREAM, a.state = TCP_ESTABLISHED;
    b.id = 11, b.peer_id = 10, b.type = SOCK_STREAM, b.state = TCP_ESTABLISHED;
    net::UnixMessage m;
    m.data = {std::byte{'h'}, std::byte{'i'}};
    b.queue.push_back(m);
    l.id = 20, l.type = SOCK_STREAM, l.state = TCP_LISTEN, l.flags = image::unix_flag_bound, l.name = "/run/l.sock", l.backlog = 8;
    c.id = 21, c.peer_id = 22 | (1ull << 63), c.type = SOCK_STREAM, c.state = TCP_ESTABLISHED;
    e.id = 22 | (1ull << 63), e.peer_id = 21, e.listener_id = 20, e.type = SOCK_STREAM, e.state = TCP_ESTABLISHED;
    e.flags = image::unix_flag_embryo, e.name = l.name;
    return {a, b, l, c, e};
}

UnixTable round_trip(const UnixTable& t) {
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    w.write_head(image::make_head(0));
    net::write_table(t, 7, w);
    w.finish();
    transport::MemorySource src(sink.bytes());
    image::RecordReader r(src);
    r.read_head();
    return net::read_table(r, 7, static_cast<uint32_t>(t.size()));
}

void expect_refused(const std::function<void(UnixTable&)>& spoil, const char* what) {
    UnixTable t = sample();
    spoil(t);
    EXPECT_THROW(round_trip(t), myrt::Error) << what;
}

}  // namespace

TEST(UnixTable, RoundTrips) {
    UnixTable t = round_trip(sample());
    ASSERT_EQ(t.size(), 5u);
    EXPECT_EQ(t[1].queue.size(), 1u);
    EXPECT_EQ(t[1].queue[0].data.size(), 2u);
    EXPECT_EQ(t[2].name, "/run/l.sock");
    EXPECT_EQ(t[2].backlog, 8u);
    EXPECT_TRUE(t[4].has(image::unix_flag_embryo));
}

TEST(UnixTable, RefusesInconsistentTables) {
    expect_refused([](UnixTable& t) { t[0].peer_id = 99; }, "peer not in the table");
    expect_refused([](UnixTable& t) { t[1].peer_id = 20; }, "ends that do not name each other");
    expect_refused([](UnixTable& t) { t[0].type = 9; }, "unknown type");
    expect_refused([](UnixTable& t) { t[0].state = 2; }, "a connect in progress");
    expect_refused([](UnixTable& t) { t[2].type = SOCK_DGRAM; }, "a listening datagram socket");
    expect_refused(
        [](UnixTable& t) {
            t[2].name = "relative.sock";
            t[2].flags |= image::unix_flag_path_present;
        },
        "a relative path still bound, with no directory to bind it in");
    expect_refused([](UnixTable& t) { t[2].name = std::string("/a\0b", 4); }, "a NUL in a path");
    expect_refused([](UnixTable& t) { t[1].id = 10; }, "an id listed twice");
    expect_refused([](UnixTable& t) { t[4].listener_id = 10; }, "a pending connection on a non-listener");
    expect_refused([](UnixTable& t) { t[4].queue.push_back(t[1].queue[0]); }, "data on a pending connection");
    expect_refused([](UnixTable& t) { t[1].queue[0].sender_id = 10; }, "a stream message with a sender");
    expect_refused([](UnixTable& t) { t[0].shutdown = 4; }, "an unknown shutdown state");
    expect_refused([](UnixTable& t) { t[0].flags |= 1u << 20; }, "unknown flags");
    expect_refused([](UnixTable& t) { t[0].flags |= image::unix_flag_accepted; }, "accepted without a name");
}

TEST(UnixTable, SocketFileAttributes) {
    UnixTable t = sample();
    t[2].flags |= image::unix_flag_path_present | image::unix_flag_file_attrs;
    t[2].file_mode = 0646, t[2].file_uid = 1234, t[2].file_gid = 4321;
    UnixTable back = round_trip(t);
    EXPECT_EQ(back[2].file_mode, 0646u);
    EXPECT_EQ(back[2].file_uid, 1234u);
    EXPECT_EQ(back[2].file_gid, 4321u);
    expect_refused([](UnixTable& t) { t[2].flags |= image::unix_flag_file_attrs; }, "file attributes without a present path");
    expect_refused([](UnixTable& t) { t[0].flags |= image::unix_flag_file_attrs; }, "file attributes of an unnamed socket");
    expect_refused(
        [](UnixTable& t) {
            t[2].flags |= image::unix_flag_path_present | image::unix_flag_file_attrs;
            t[2].file_mode = 010000;
        },
        "a mode with file type bits");
}

// A relative name still bound carries the directory it resolves in; a deleted one
// (bound in a private root on restore) needs none.
TEST(UnixTable, RelativeNames) {
    auto relative = [] {
        UnixTable t = sample();
        t[2].name = "rel.sock";
        t[2].flags |= image::unix_flag_path_present | image::unix_flag_bind_dir;
        t[2].bind_dir = "/tmp/reldir";
        t[4].name = "rel.sock";
        return t;
    };
    UnixTable back = round_trip(relative());
    EXPECT_EQ(back[2].name, "rel.sock");
    EXPECT_EQ(back[2].bind_dir, "/tmp/reldir");
    UnixTable deleted = sample();
    deleted[2].name = "sub/rel.sock";
    deleted[4].name = "sub/rel.sock";
    EXPECT_EQ(round_trip(deleted)[2].name, "sub/rel.sock");
    auto refused = [&](const std::function<void(UnixTable&)>& spoil, const char* what) {
        UnixTable u = relative();
        spoil(u);
        EXPECT_THROW(round_trip(u), myrt::Error) << what;
    };
    refused([](UnixTable& u) { u[2].bind_dir = "tmp/reldir"; }, "a relative directory");
    refused([](UnixTable& u) { u[2].bind_dir = "/tmp/../etc"; }, "a directory with ..");
    refused([](UnixTable& u) { u[2].bind_dir = "/tmp//x"; }, "a directory with an empty component");
    refused([](UnixTable& u) { u[2].name = u[4].name = "/abs.sock"; }, "a directory for an absolute name");
    refused([](UnixTable& u) { u[2].flags &= ~image::unix_flag_path_present; }, "a directory for a deleted name");
    refused([](UnixTable& u) { u[0].flags |= image::unix_flag_bind_dir, u[0].bind_dir = "/tmp"; }, "a directory for an unnamed socket");
}

// fds in flight and credentials: a file objref and a socket of the table held by no task.
TEST(UnixTable, FdsInFlightRoundTripAndAreChecked) {
    auto with_fds = [] {
        UnixTable t = sample();
        UnixSocket x;
        x.id = 30, x.type = SOCK_DGRAM, x.state = TCP_CLOSE, x.flags = image::unix_flag_in_flight;
        t.push_back(x);
        net::UnixMessage& m = t[1].queue[0];
        m.fds.push_back({image::unix_scm_fd_file, 5, 0, -1});
        m.fds.push_back({image::unix_scm_fd_socket, 30, 04000, -1});
        m.has_creds = true, m.cred_pid = 3, m.cred_uid = 1000, m.cred_gid = 1001;
        return t;
    };
    UnixTable t = round_trip(with_fds());
    ASSERT_EQ(t[1].queue[0].fds.size(), 2u);
    EXPECT_EQ(t[1].queue[0].fds[0].ref, 5u);
    EXPECT_EQ(t[1].queue[0].fds[1].kind, image::unix_scm_fd_socket);
    EXPECT_EQ(t[1].queue[0].fds[1].flags, 04000u);
    EXPECT_EQ(t[1].queue[0].cred_uid, 1000u);
    EXPECT_EQ(t[1].queue[0].cred_pid, 3);
    auto refused = [&](const std::function<void(UnixTable&)>& spoil, const char* what) {
        UnixTable u = with_fds();
        spoil(u);
        EXPECT_THROW(round_trip(u), myrt::Error) << what;
    };
    refused([](UnixTable& u) { u[1].queue[0].fds[1].ref = 99; }, "a socket in flight that is not in the table");
    refused([](UnixTable& u) { u[1].queue[0].fds[1].ref = 22 | (1ull << 63); }, "a pending connection in flight");
    refused([](UnixTable& u) { u[1].queue[0].fds.pop_back(); }, "a socket in flight that no message carries");
    refused([](UnixTable& u) { u[1].queue[0].fds[0].flags = 04000; }, "flags on a file in flight");
    refused([](UnixTable& u) { u[1].queue[0].fds[0].kind = 9; }, "an unknown kind");
    refused([](UnixTable& u) { u[1].queue[0].fds.resize(254, u[1].queue[0].fds[0]); }, "more than 253 fds");
    refused([](UnixTable& u) { u[1].queue[0].cred_pid = -4; }, "a negative pid");
}
