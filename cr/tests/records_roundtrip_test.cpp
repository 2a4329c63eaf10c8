// Every record type goes through RecordWriter and comes back identical
// through the strict RecordReader, in memory and through a file.
#include "cr/image/host_info.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/transport/file_stream.hpp"
#include "cr/transport/memory_stream.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

using namespace myrt::cr;
using image::RecordType;

namespace {

std::vector<std::byte> pattern(size_t n, unsigned seed) {
    std::vector<std::byte> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7 + seed) & 0xff);
    return v;
}

// One sample of every type in the schema; a type added to records.hpp
// without a sample here fails EveryTypeInTheSchemaHasASample.
void write_samples(image::RecordWriter& w, const image::HeadRecord& head) {
    w.write_head(head);
    w.write_buffer(pattern(1000, 1), 3);
    w.write_buffer({}, 0);
    w.write_string("/var/lib/app/data", 4);
    w.write_objref(7, 2);
    w.write<RecordType::vma>(image::VmaRecord{0x400000, 0x401000, 0, 3, 0x875, 7, 0x22}, 9);
    w.write_pages(0x7fff0000, 12, pattern(3 * 4096, 2), 9);
    w.begin_pages(0x10000000, 300, 12, 9);  // streamed in pieces, larger than the unbuffered threshold
    auto big = pattern(300 * 4096, 3);
    for (size_t off = 0; off < big.size(); off += 100000)
        w.append(std::span(big).subspan(off, std::min<size_t>(100000, big.size() - off)));
    w.end_record();
    w.write<RecordType::cow_pages>(image::CowPagesRecord{0x7f0000000000, 16384}, 9);  // proc20
    // --- predump (begin) ---
    w.write<RecordType::image_lineage>(image::ImageLineageRecord{{1, 2}, {3, 4}, 2, 0}, 0);
    w.write<RecordType::parent_pages>(image::ParentPagesRecord{0x7f0000100000, 7}, 9);
    w.write<RecordType::predump_process>(image::PredumpProcessRecord{42, 0}, 9);
    // --- predump (end) ---
    w.write<RecordType::fd_table>(image::FdTableRecord{2, 0});
    w.write<RecordType::fd>(image::FdRecord{4, 1, 1, 0, 11});
    w.write<RecordType::file>(image::FileRecord{image::file_kind_pipe_end, 0x800, 17, 12, 0, 0, 010600, 0}, 11);
    w.write<RecordType::pipe>(image::PipeRecord{65536, 0, 0}, 12);
    // --- objects (begin) ---
    w.write<RecordType::eventfd>(image::EventfdRecord{42, 1, 0}, 13);
    w.write<RecordType::epoll>(image::EpollRecord{1, 0}, 14);
    w.write<RecordType::epoll_target>(image::EpollTargetRecord{5, 0x80000001u, 0x1122334455667788ull}, 14);
    w.write<RecordType::signalfd>(image::SignalfdRecord{0x800}, 15);
    w.write<RecordType::timerfd>(image::TimerfdRecord{1, 1, 3, 2, 500, 0, 100000000, 1000, 7}, 16);
    w.write<RecordType::inotify>(image::InotifyRecord{1, 0}, 17);
    w.write<RecordType::inotify_watch>(image::InotifyWatchRecord{0x100, 3}, 17);
    w.write<RecordType::memfd>(image::MemfdRecord{10000, 5000, 0, 6, 0640}, 18);
    w.write<RecordType::pidfd>(image::PidfdRecord{1, 0}, 19);
    // --- objects (end) ---
    // --- fs (begin) ---
    w.write<RecordType::deleted_file>(image::DeletedFileRecord{1000, 1001, 5, 6, 7, 8, 2, 0}, 23);
    w.write<RecordType::file_extent>(image::FileExtentRecord{1 << 20, 4096}, 23);
    w.write<RecordType::file_owner>(image::FileOwnerRecord{1, 7, 34, 0}, 24);
    w.write<RecordType::epoll_target_via>(image::EpollTargetViaRecord{9, 0}, 14);
    // --- fs (end) ---
    // --- cr/ipc (begin) ---
    {
        const uint64_t ipc = 0x6970630000000000ull;
        w.write<RecordType::ipc_ns>(image::IpcNsRecord{1, 1, 1, 1}, ipc | (1ull << 32));
        image::IpcShmRecord shm{};
        shm.perm.id = 32768;
        shm.segsz = 5000;
        w.write<RecordType::ipc_shm>(shm, ipc | (2ull << 32) | 32768);
        image::IpcMsqRecord msq{};
        msq.qbytes = 3000;
        w.write<RecordType::ipc_msq>(msq, ipc | (3ull << 32));
        w.write<RecordType::ipc_msg>(image::IpcMsgRecord{5, 0}, ipc | (3ull << 32));
        image::IpcSemRecord sem{};
        sem.nsems = 4;
        w.write<RecordType::ipc_sem>(sem, ipc | (4ull << 32));
        w.write<RecordType::ipc_mq>(image::IpcMqRecord{8, 64, 0, 0640, 0, 0, 0}, ipc | (5ull << 32));
        w.write<RecordType::ipc_mq_msg>(image::IpcMqMsgRecord{3, 0, 0}, ipc | (5ull << 32));
        image::IpcSysctlRecord sysctl{};
        sysctl.msgmax = 9000;
        sysctl.sem[3] = 128;
        w.write<RecordType::ipc_sysctl>(sysctl, ipc);
    }
    // --- cr/ipc (end) ---
    // --- cr/tty (begin) ---
    {
        w.write<RecordType::pty>(image::PtyRecord{3, image::pty_flag_locked, 21, 0x2d, 1, 7}, 20);
        image::TtyRecord tty{};
        tty.end = image::tty_end_slave;
        tty.cflag = 0x800000bfu;  // CRTSCTS: a bit above 16
        tty.cc[2] = 0x7f;
        tty.ws_col = 181;
        tty.input_len = 0;
        w.write<RecordType::tty>(tty, 20);
        w.write<RecordType::pty_file>(image::PtyFileRecord{20, image::tty_end_slave, 0}, 22);
    }
    // --- cr/tty (end) ---
    // --- cr/net (begin) ---
    {
        w.write<RecordType::unix_file>(image::UnixFileRecord{1234, 1, 0}, 30);
        image::UnixSocketRecord us{};
        us.id = 1234;
        us.type = 5;  // SOCK_SEQPACKET
        us.state = 10;
        us.flags = image::unix_flag_bound;
        us.name_len = 4;
        us.name[0] = '\0';
        us.name[1] = 'a';
        w.write<RecordType::unix_socket>(us, 30);
        image::UnixMessageRecord um{};
        um.len = 7;
        um.sender_id = 99;
        w.write<RecordType::unix_message>(um, 30);
        w.write<RecordType::unix_socket_file>(image::UnixSocketFileRecord{0646, 1234, 4321, 0}, 30);
        w.write<RecordType::unix_scm>(image::UnixScmRecord{1, image::unix_scm_flag_creds, 7, 1000, 100, 0}, 30);
        w.write<RecordType::unix_scm_fd>(image::UnixScmFdRecord{42, image::unix_scm_fd_file, 0}, 30);
        w.write<RecordType::inet_file>(image::InetFileRecord{5678, 1, 0}, 31);
        image::InetSocketRecord is{};
        is.id = 5678;
        is.family = 10;  // AF_INET6
        is.local_port = 8080;
        is.nr_messages = 1;
        w.write<RecordType::inet_socket>(is, 31);
        image::InetMessageRecord im{};
        im.len = 9;
        im.queue = image::inet_queue_recv;
        w.write<RecordType::inet_message>(im, 31);
    }
    // --- cr/net (end) ---
    w.finish();
}

void read_samples(transport::Source& src, const image::HeadRecord& head, std::set<uint32_t>& seen) {
    image::RecordReader r(src);
    auto h = r.next();
    ASSERT_TRUE(h);
    EXPECT_EQ(h->type, uint32_t(RecordType::head));
    EXPECT_EQ(0, std::memcmp(&r.head(), &head, sizeof(head)));
    seen.insert(h->type);

    h = r.next();
    EXPECT_EQ(h->type, uint32_t(RecordType::buffer));
    EXPECT_EQ(h->objref, 3u);
    EXPECT_EQ(r.read_buffer(), pattern(1000, 1));
    h = r.next();
    EXPECT_EQ(h->len, 0u);
    EXPECT_TRUE(r.read_buffer().empty());
    seen.insert(h->type);

    h = r.next();
    EXPECT_EQ(h->objref, 4u);
    EXPECT_EQ(r.read_string(), "/var/lib/app/data");
    seen.insert(h->type);

    image::RecordHeader hdr{};
    auto o = r.expect<RecordType::objref>(&hdr);
    EXPECT_EQ(hdr.objref, 7u);
    EXPECT_EQ(o.kind, 2u);
    seen.insert(hdr.type);

    auto v = r.expect<RecordType::vma>(&hdr);
    EXPECT_EQ(hdr.objref, 9u);
    EXPECT_EQ(v.start, 0x400000u);
    EXPECT_EQ(v.end, 0x401000u);
    EXPECT_EQ(v.file_objref, 3u);
    EXPECT_EQ(v.map_flags, 0x22u);
    seen.insert(hdr.type);

    for (auto [vaddr, n, seed] : {std::tuple{0x7fff0000ull, 3ull, 2u}, std::tuple{0x10000000ull, 300ull, 3u}}) {
        auto p = r.expect<RecordType::pages>(&hdr);
        EXPECT_EQ(p.vaddr, vaddr);
        EXPECT_EQ(p.nr_pages, n);
        EXPECT_EQ(p.page_shift, 12u);
        std::vector<std::byte> got;
        while (true) {  // page contents arrive in bounded chunks
            auto c = r.read_chunk(5000);
            if (c.empty()) break;
            EXPECT_LE(c.size(), 5000u);
            got.insert(got.end(), c.begin(), c.end());
        }
        EXPECT_EQ(got, pattern(n * 4096, seed));
        seen.insert(hdr.type);
    }
    {  // proc20
        auto c = r.expect<RecordType::cow_pages>(&hdr);
        EXPECT_EQ(c.vaddr, 0x7f0000000000u);
        EXPECT_EQ(c.nr_pages, 16384u);
        seen.insert(hdr.type);
    }
    {  // predump
        auto l = r.expect<RecordType::image_lineage>(&hdr);
        EXPECT_EQ(l.image_id[1], 2u);
        EXPECT_EQ(l.parent_id[0], 3u);
        EXPECT_EQ(l.depth, 2u);
        seen.insert(hdr.type);
        auto pp = r.expect<RecordType::parent_pages>(&hdr);
        EXPECT_EQ(pp.vaddr, 0x7f0000100000u);
        EXPECT_EQ(pp.nr_pages, 7u);
        seen.insert(hdr.type);
        auto pd = r.expect<RecordType::predump_process>(&hdr);
        EXPECT_EQ(pd.ns_pid, 42);
        seen.insert(hdr.type);
    }
    auto ft = r.expect<RecordType::fd_table>(&hdr);
    EXPECT_EQ(ft.nr_fds, 2u);
    seen.insert(hdr.type);
    auto fd = r.expect<RecordType::fd>(&hdr);
    EXPECT_EQ(fd.fd, 4);
    EXPECT_EQ(fd.file_objref, 11u);
    seen.insert(hdr.type);
    auto f = r.expect<RecordType::file>(&hdr);
    EXPECT_EQ(hdr.objref, 11u);
    EXPECT_EQ(f.pos, 17u);
    EXPECT_EQ(f.pipe_objref, 12u);
    seen.insert(hdr.type);
    auto pp = r.expect<RecordType::pipe>(&hdr);
    EXPECT_EQ(hdr.objref, 12u);
    EXPECT_EQ(pp.pipe_size, 65536u);
    seen.insert(hdr.type);
    // --- objects (begin) ---
    EXPECT_EQ(r.expect<RecordType::eventfd>(&hdr).count, 42u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::epoll>(&hdr).nr_targets, 1u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::epoll_target>(&hdr).data, 0x1122334455667788ull);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::signalfd>(&hdr).sigmask, 0x800u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::timerfd>(&hdr).interval_nsec, 100000000);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::inotify>(&hdr).nr_watches, 1u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::inotify_watch>(&hdr).wd, 3);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::memfd>(&hdr).pos, 5000u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::pidfd>(&hdr).pid, 1);
    EXPECT_EQ(hdr.objref, 19u);
    seen.insert(hdr.type);
    // --- objects (end) ---
    // --- fs (begin) ---
    auto del = r.expect<RecordType::deleted_file>(&hdr);
    EXPECT_EQ(del.gid, 1001u);
    EXPECT_EQ(del.mtime_nsec, 8);
    EXPECT_EQ(del.nr_extents, 2u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::file_extent>(&hdr).offset, 1u << 20);
    EXPECT_EQ(hdr.objref, 23u);
    seen.insert(hdr.type);
    auto own = r.expect<RecordType::file_owner>(&hdr);
    EXPECT_EQ(own.pid, 7);
    EXPECT_EQ(own.signum, 34);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::epoll_target_via>(&hdr).via_fd, 9);
    EXPECT_EQ(hdr.objref, 14u);
    seen.insert(hdr.type);
    // --- fs (end) ---

    // --- cr/ipc (begin) ---
    EXPECT_EQ(r.expect<RecordType::ipc_ns>(&hdr).nr_mq, 1u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::ipc_shm>(&hdr).segsz, 5000u);
    EXPECT_EQ(hdr.objref & 0xffffffffu, 32768u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::ipc_msq>(&hdr).qbytes, 3000u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::ipc_msg>(&hdr).mtype, 5);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::ipc_sem>(&hdr).nsems, 4u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::ipc_mq>(&hdr).msgsize, 64);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::ipc_mq_msg>(&hdr).prio, 3u);
    seen.insert(hdr.type);
    auto sysctl = r.expect<RecordType::ipc_sysctl>(&hdr);
    EXPECT_EQ(sysctl.msgmax, 9000u);
    EXPECT_EQ(sysctl.sem[3], 128);
    seen.insert(hdr.type);
    // --- cr/ipc (end) ---
    // --- cr/tty (begin) ---
    EXPECT_EQ(r.expect<RecordType::pty>(&hdr).master_file_objref, 21u);
    seen.insert(hdr.type);
    auto tty = r.expect<RecordType::tty>(&hdr);
    EXPECT_EQ(tty.cflag, 0x800000bfu);
    EXPECT_EQ(tty.ws_col, 181u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::pty_file>(&hdr).pty_objref, 20u);
    EXPECT_EQ(hdr.objref, 22u);
    seen.insert(hdr.type);
    // --- cr/tty (end) ---
    // --- cr/net (begin) ---
    EXPECT_EQ(r.expect<RecordType::unix_file>(&hdr).sock_id, 1234u);
    seen.insert(hdr.type);
    auto us = r.expect<RecordType::unix_socket>(&hdr);
    EXPECT_EQ(us.state, 10u);
    EXPECT_EQ(us.name[1], 'a');
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::unix_message>(&hdr).sender_id, 99u);
    EXPECT_EQ(hdr.objref, 30u);
    seen.insert(hdr.type);
    auto usf = r.expect<RecordType::unix_socket_file>(&hdr);
    EXPECT_EQ(usf.mode, 0646u);
    EXPECT_EQ(usf.gid, 4321u);
    seen.insert(hdr.type);
    auto scm = r.expect<RecordType::unix_scm>(&hdr);
    EXPECT_EQ(scm.pid, 7);
    EXPECT_EQ(scm.uid, 1000u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::unix_scm_fd>(&hdr).ref, 42u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::inet_file>(&hdr).sock_id, 5678u);
    seen.insert(hdr.type);
    auto is = r.expect<RecordType::inet_socket>(&hdr);
    EXPECT_EQ(is.family, 10u);
    EXPECT_EQ(is.local_port, 8080u);
    seen.insert(hdr.type);
    EXPECT_EQ(r.expect<RecordType::inet_message>(&hdr).len, 9u);
    EXPECT_EQ(hdr.objref, 31u);
    seen.insert(hdr.type);
    // --- cr/net (end) ---
    EXPECT_FALSE(r.next());
    EXPECT_TRUE(r.finished());
    EXPECT_EQ(r.tail().record_count, 49u);  // 12 + the objects area's 9 + cr/ipc's 8 + cr/tty's 3 + cr/net's 9 + fs's 4 + proc20's 1 + predump's 3
    seen.insert(uint32_t(RecordType::tail));
}

}  // namespace

TEST(ImageRecords, EveryTypeRoundTripsThroughMemory) {
    auto head = image::make_head(image::head_flag_leave_running);
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    write_samples(w, head);
    EXPECT_TRUE(sink.finished());
    EXPECT_EQ(sink.bytes().size() % 8, 0u);
    transport::MemorySource src(sink.bytes());
    std::set<uint32_t> seen;
    read_samples(src, head, seen);
}

TEST(ImageRecords, EveryTypeInTheSchemaHasASample) {
    auto head = image::make_head(0);
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    write_samples(w, head);
    transport::MemorySource src(sink.bytes());
    std::set<uint32_t> seen;
    read_samples(src, head, seen);
    for (const auto& info : image::record_types)
        EXPECT_TRUE(seen.count(uint32_t(info.type))) << info.name << " has no round-trip sample";
}

TEST(ImageRecords, EveryTypeRoundTripsThroughAFile) {
    auto dir = std::filesystem::temp_directory_path() / fmt::format("crbase-rt-{}", getpid());
    std::filesystem::create_directories(dir);
    auto path = (dir / "myrt.img").string();
    auto head = image::make_head(0);
    {
        transport::FileSink sink(path);
        image::RecordWriter w(sink);
        write_samples(w, head);
    }
    EXPECT_TRUE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
    // Small buffers force records to straddle buffer boundaries.
    transport::FileSource src(path, transport::UringBufferConfig{4096, 3});
    std::set<uint32_t> seen;
    read_samples(src, head, seen);
    std::filesystem::remove_all(dir);
}

TEST(ImageRecords, HeadDescribesThisMachine) {
    auto h = image::make_head(0);
    EXPECT_EQ(h.magic, image::head_magic);
    EXPECT_EQ(h.format_version, image::format_version);
    EXPECT_EQ(h.arch, image::arch_x86_64);
    EXPECT_STREQ(h.uts_machine, "x86_64");
    EXPECT_NE(h.xsave_features & 0x3, 0u) << "x87 and SSE state are always enabled with XSAVE";
    EXPECT_GE(h.xsave_size, 512u + 64u);
    EXPECT_NO_THROW(image::check_cpu_compatible(h));
    h.xsave_features |= 1ull << 62;
    EXPECT_THROW(image::check_cpu_compatible(h), myrt::Error);
}

TEST(ImageRecords, WriterRefusesWhatTheReaderWouldReject) {
    transport::MemorySink sink;
    image::RecordWriter w(sink);
    EXPECT_THROW(w.write_buffer(pattern(4, 0)), myrt::Error) << "a record before HEAD";
    w.write_head(image::make_head(0));
    EXPECT_THROW(w.write_record(RecordType::vma, pattern(40, 0)), myrt::Error) << "fixed record with the wrong size";
    EXPECT_THROW(w.write_record(static_cast<RecordType>(9999), {}), myrt::Error) << "a type outside the schema";
    EXPECT_THROW(w.write_string(std::string("a\0b", 3)), myrt::Error);
    EXPECT_THROW(w.write_pages(0, 12, pattern(100, 0)), myrt::Error) << "not whole pages";
    EXPECT_THROW(w.write_objref(0, 1), myrt::Error);
    w.begin_record(RecordType::buffer, 10);
    EXPECT_THROW(w.append(pattern(11, 0)), myrt::Error);
    EXPECT_THROW(w.end_record(), myrt::Error) << "record ended short";
}
