// Writes a seed corpus for restore_decoders_fuzzer: real encodings made by
// the encoders the checkpoint uses (a process section, namespaces, a tmpfs
// entry, an IPC section, a unix socket table, a whole container image), each
// prefixed with its decoder's byte (decoder_targets.hpp).
#include <sys/socket.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <netinet/tcp.h>

#include "cr/driver/codec.hpp"
#include "cr/driver/image_chain.hpp"
#include "cr/driver/sections.hpp"
#include "cr/fuzz/corpus_writer.hpp"
#include "cr/image/host_info.hpp"
#include "cr/transport/memory_stream.hpp"
#include "cr/fuzz/decoder_targets.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/net/inet_table.hpp"
#include "cr/net/netns_config.hpp"
#include "cr/net/unix_table.hpp"

using namespace myrt::cr;

namespace {

void save(const std::filesystem::path& dir, const std::string& name, fuzz::Target t, const std::vector<std::byte>& bytes) {
    fuzz::save_seed(dir, name, bytes, static_cast<uint8_t>(t));
}

ProcessState sample_process() {
    ProcessState st;
    st.core.ids.pid = 4242;
    st.core.ids.ppid = 1;
    st.core.ids.ns_depth = 1;
    st.core.ids.ns_pid[0] = 1;
    st.core.creds.uid[0] = st.core.creds.uid[1] = st.core.creds.uid[2] = st.core.creds.uid[3] = 1000;
    st.core.nthreads = 1;
    for (auto& r : st.core.rlimits) r = {~0ull, ~0ull};
    st.groups = {1000, 2000};
    st.cwd = "/";
    st.root = "/";
    st.exe = "/bin/crwork";
    st.auxv = {6, 4096, 0, 0};
    st.seccomp.push_back({sock_filter{0x06, 0, 0, 0x7fff0000}});
    ThreadState t;
    t.core.tid = 4242;
    t.core.ns_tid = 1;
    t.core.fpu_size = 16;
    t.fpu.resize(16);
    t.creds = st.core.creds;
    t.groups = st.groups;
    st.threads.push_back(t);
    auto vma = [](uint64_t start, uint64_t end, VmaKind kind, const char* path) {
        Vma v;
        v.rec.start = start;
        v.rec.end = end;
        v.rec.prot = 3;
        v.rec.kind = kind;
        v.path = path;
        return v;
    };
    st.vmas = {vma(0x400000, 0x402000, VmaKind::file, "/bin/crwork"), vma(0x10000000, 0x10004000, VmaKind::anonymous, ""),
               vma(0x7ffff000, 0x80000000, VmaKind::stack, "[stack]")};
    st.file_locks.push_back(FileLockRecord{3, 1, 1, 0, 0, -1});
    return st;
}

ns::NamespaceState sample_namespaces() {
    ns::NamespaceState ns;
    ns.flags = ns::ns_pid | ns::ns_mnt | ns::ns_uts | ns::ns_ipc;
    ns.hostname = "fuzz";
    return ns;
}

ns::TmpfsEntry sample_tmpfs() {
    ns::TmpfsEntry e;
    e.kind = ns::TmpfsKind::file;
    e.mode = 0644;
    e.mount = "/dev/shm";
    e.path = "a";
    e.size = 5;
    return e;
}

uint64_t ipc_objref(uint32_t kind, uint32_t id) { return 0x697063ull << 40 | uint64_t{kind} << 32 | id; }

void ipc_section(image::RecordWriter& w) {
    w.write<image::RecordType::ipc_ns>(image::IpcNsRecord{1, 1, 1, 1}, ipc_objref(1, 0));
    image::IpcShmRecord s{};
    s.perm.mode = 0600;
    s.segsz = 5000;
    w.write<image::RecordType::ipc_shm>(s, ipc_objref(2, 0));
    w.write_pages(4096, 12, std::vector<std::byte>(4096, std::byte{7}), ipc_objref(2, 0));
    image::IpcMsqRecord q{};
    q.perm.id = 32768;
    q.perm.mode = 0620;
    q.qbytes = 1000;
    q.cbytes = 3;
    q.qnum = 1;
    w.write<image::RecordType::ipc_msq>(q, ipc_objref(3, 32768));
    w.write<image::RecordType::ipc_msg>(image::IpcMsgRecord{5, 3}, ipc_objref(3, 32768));
    w.write_buffer(std::as_bytes(std::span("abc", 3)), ipc_objref(3, 32768));
    image::IpcSemRecord sr{};
    sr.perm.id = 3;
    sr.nsems = 1;
    w.write<image::RecordType::ipc_sem>(sr, ipc_objref(4, 3));
    image::IpcSemValue val{1, 0};
    w.write_buffer(std::as_bytes(std::span(&val, 1)), ipc_objref(4, 3));
    image::IpcMqRecord mq{};
    mq.maxmsg = 4;
    mq.msgsize = 16;
    mq.curmsgs = 1;
    mq.mode = 0640;
    w.write<image::RecordType::ipc_mq>(mq, ipc_objref(5, 0));
    w.write_string("q", ipc_objref(5, 0));
    w.write<image::RecordType::ipc_mq_msg>(image::IpcMqMsgRecord{5, 0, 2}, ipc_objref(5, 0));
    w.write_buffer(std::as_bytes(std::span("hi", 2)), ipc_objref(5, 0));
}

net::UnixTable sample_table() {
    net::UnixSocket a, b, l;
    a.id = 10, a.peer_id = 11, a.type = SOCK_STREAM, a.state = TCP_ESTABLISHED;
    b.id = 11, b.peer_id = 10, b.type = SOCK_STREAM, b.state = TCP_ESTABLISHED;
    net::UnixMessage m;
    m.data = {std::byte{'h'}, std::byte{'i'}};
    b.queue.push_back(m);
    l.id = 20, l.type = SOCK_STREAM, l.state = TCP_LISTEN, l.flags = image::unix_flag_bound, l.name = "/run/l.sock";
    l.backlog = 8;
    // A listener bound to a relative name, with the directory it resolves in.
    net::UnixSocket r;
    r.id = 30, r.type = SOCK_SEQPACKET, r.state = TCP_LISTEN, r.name = "rel.sock", r.backlog = 2;
    r.flags = image::unix_flag_bound | image::unix_flag_path_present | image::unix_flag_bind_dir;
    r.bind_dir = "/tmp/reldir";
    return {a, b, l, r};
}

// HEAD, namespaces, a tmpfs file, optionally the IPC section, one process
// with a PAGES record inside its anonymous VMA, its memory end, TAIL.
std::vector<std::byte> container_image(bool with_ipc) {
    return fuzz::image_stream([&](image::RecordWriter& w) {
        w.write_buffer(driver::encode_namespaces(sample_namespaces()), driver::section::ns);
        w.write_buffer(driver::encode_tmpfs_entry(sample_tmpfs()), driver::section::tmpfs_entry);
        w.write_buffer(std::as_bytes(std::span("hello", 5)), driver::section::tmpfs_data);
        if (with_ipc) ipc_section(w);
        w.write_buffer(driver::encode_process(sample_process()), driver::section::process);
        w.write_pages(0x10000000, 12, std::vector<std::byte>(8192, std::byte{1}), driver::pages_objref(0));
        uint32_t index = 0;
        w.write_buffer(std::as_bytes(std::span(&index, 1)), driver::section::memory_end);
    });
}

// lo up with an address of each family, a route of its own table, a sysctl.
net::NetnsConfig sample_netns() {
    net::NetnsConfig c;
    c.links.push_back({"lo", 65536, true});
    c.addresses.push_back({"lo", "10.99.0.1", AF_INET, 24});
    c.addresses.push_back({"lo", "fd00:99::1", AF_INET6, 64});
    net::NetRoute r;
    r.family = AF_INET;
    r.dst = "10.98.0.0/16";
    r.dev = "lo";
    r.table = 100;
    c.routes.push_back(r);
    c.sysctls.push_back({"ipv4/ip_forward", "1"});
    return c;
}

// A TCP listener and a bound UDP socket with one queued datagram.
net::InetTable sample_inet_table() {
    net::InetTable t(2);
    auto& l = t[0];
    l.id = 1;
    l.family = AF_INET;
    l.type = SOCK_STREAM;
    l.protocol = IPPROTO_TCP;
    l.state = 10;  // TCP_LISTEN
    l.flags = image::inet_flag_bound;
    l.backlog = 16;
    l.local.family = AF_INET;
    l.local.addr = {127, 0, 0, 1};
    l.local.port = 8080;
    auto& u = t[1];
    u.id = 2;
    u.family = AF_INET6;
    u.type = SOCK_DGRAM;
    u.protocol = IPPROTO_UDP;
    u.state = 7;  // TCP_CLOSE, as sock_diag reports an unconnected UDP socket
    u.flags = image::inet_flag_bound;
    u.local.family = AF_INET6;
    u.local.addr[15] = 1;
    u.local.port = 5353;
    net::InetMessage m;
    m.data = std::vector<std::byte>(5, std::byte{'d'});
    m.sender = u.local;
    m.sender.port = 40000;
    u.datagrams.push_back(m);
    return t;
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc != 2) {
        std::cerr << "usage: make_decoder_corpus DIR\n";
        return 2;
    }
    std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    save(dir, "index-container", fuzz::Target::image_index, container_image(false));
    save(dir, "index-container-ipc", fuzz::Target::image_index, container_image(true));
    {  // predump: a pre-dump with a parent, one process, pages of both kinds
        transport::MemorySink sink;
        image::RecordWriter w(sink);
        w.write_head(image::make_head(image::head_flag_pre_dump | image::head_flag_has_parent));
        driver::write_lineage(w, {{7, 8}, {5, 6}, 1, "demo", "../p1"});
        w.write<image::RecordType::predump_process>(image::PredumpProcessRecord{1, 0}, driver::pages_objref(0));
        w.write<image::RecordType::parent_pages>(image::ParentPagesRecord{0x400000, 2}, driver::pages_objref(0));
        std::vector<std::byte> page(4096, std::byte{0x42});
        w.write_pages(0x402000, 12, page, driver::pages_objref(0));
        w.finish();
        save(dir, "predump-image", fuzz::Target::predump_image, sink.bytes());
    }
    save(dir, "process", fuzz::Target::process, driver::encode_process(sample_process()));
    save(dir, "namespaces", fuzz::Target::namespaces, driver::encode_namespaces(sample_namespaces()));
    save(dir, "tmpfs-entry", fuzz::Target::tmpfs_entry, driver::encode_tmpfs_entry(sample_tmpfs()));
    save(dir, "ipc-section", fuzz::Target::ipc, fuzz::image_stream(ipc_section));
    auto table = sample_table();
    auto table_stream = fuzz::image_stream([&](image::RecordWriter& w) { net::write_table(table, fuzz::unix_table_objref, w); });
    std::vector<std::byte> unix_seed = {std::byte{static_cast<uint8_t>(table.size())}, std::byte{0}};
    unix_seed.insert(unix_seed.end(), table_stream.begin(), table_stream.end());
    save(dir, "unix-table", fuzz::Target::unix_table, unix_seed);
    save(dir, "netns-config", fuzz::Target::netns_config, net::encode_netns_config(sample_netns()));
    auto inet = sample_inet_table();
    auto inet_stream = fuzz::image_stream([&](image::RecordWriter& w) { net::write_inet_table(inet, fuzz::inet_table_objref, w); });
    std::vector<std::byte> inet_seed = {std::byte{static_cast<uint8_t>(inet.size())}, std::byte{0}};
    inet_seed.insert(inet_seed.end(), inet_stream.begin(), inet_stream.end());
    save(dir, "inet-table", fuzz::Target::inet_table, inet_seed);
    return 0;
} catch (const std::exception& e) {
    std::cerr << "make_decoder_corpus: " << e.what() << "\n";
    return 1;
}
