// The IPC section reader against hostile input: every malformed record is
// refused by the first pass, before a restore creates anything.
#include <gtest/gtest.h>
#include <sys/shm.h>

#include <functional>

#include "cr/image/host_info.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/ipc/ipc_ns.hpp"
#include "cr/ipc/ipc_parser.hpp"
#include "cr/ipc/restore_ipc.hpp"
#include "cr/transport/memory_stream.hpp"
#include "util/error.hpp"

namespace myrt::cr::ipc {
namespace {

using image::RecordType;
using image::RecordWriter;

image::IpcShmRecord shm_rec(int32_t id, uint64_t size) {
    image::IpcShmRecord r{};
    r.perm.id = id;
    r.perm.key = 0x1234 + id;
    r.perm.mode = 0600;
    r.segsz = size;
    return r;
}

// Writes HEAD, `body`, TAIL; reads it back through the parser into `idx`.
void parse(const std::function<void(RecordWriter&)>& body, IpcIndex& idx) {
    transport::MemorySink sink;
    RecordWriter w(sink);
    w.write_head(image::make_head(0));
    body(w);
    w.finish();
    transport::MemorySource src(sink.bytes());
    image::RecordReader r(src);
    r.read_head();
    IpcParser p(idx);
    while (auto h = r.next()) {
        if (!is_ipc_record(*h)) FAIL() << "non-IPC record in the test image";
        p.feed(r, *h);
    }
    p.finish(r);
}

void parse(const std::function<void(RecordWriter&)>& body) {
    IpcIndex idx;
    parse(body, idx);
}

void ns(RecordWriter& w, uint32_t shm, uint32_t msq, uint32_t sem, uint32_t mq) {
    w.write<RecordType::ipc_ns>(image::IpcNsRecord{shm, msq, sem, mq}, objref(ObjKind::ns, 0));
}

void valid(RecordWriter& w) {
    ns(w, 1, 1, 1, 1);
    auto s = shm_rec(0, 5000);
    w.write<RecordType::ipc_shm>(s, objref(ObjKind::shm, 0));
    std::vector<std::byte> page(4096, std::byte{7});
    w.write_pages(4096, 12, page, objref(ObjKind::shm, 0));
    image::IpcMsqRecord q{};
    q.perm.id = 32768;
    q.perm.mode = 0620;
    q.qbytes = 1000;
    q.cbytes = 3;
    q.qnum = 2;
    w.write<RecordType::ipc_msq>(q, objref(ObjKind::msq, 32768));
    w.write<RecordType::ipc_msg>(image::IpcMsgRecord{5, 3}, objref(ObjKind::msq, 32768));
    w.write_buffer(std::as_bytes(std::span("abc", 3)), objref(ObjKind::msq, 32768));
    w.write<RecordType::ipc_msg>(image::IpcMsgRecord{1, 0}, objref(ObjKind::msq, 32768));
    image::IpcSemRecord sr{};
    sr.perm.id = 3;
    sr.nsems = 2;
    w.write<RecordType::ipc_sem>(sr, objref(ObjKind::sem, 3));
    image::IpcSemValue vals[2] = {{1, 0}, {32767, 5}};
    w.write_buffer(std::as_bytes(std::span(vals)), objref(ObjKind::sem, 3));
    image::IpcMqRecord mq{};
    mq.maxmsg = 4;
    mq.msgsize = 16;
    mq.curmsgs = 2;
    mq.mode = 0640;
    w.write<RecordType::ipc_mq>(mq, objref(ObjKind::mq, 0));
    w.write_string("prio", objref(ObjKind::mq, 0));
    w.write<RecordType::ipc_mq_msg>(image::IpcMqMsgRecord{5, 0, 2}, objref(ObjKind::mq, 0));
    w.write_buffer(std::as_bytes(std::span("hi", 2)), objref(ObjKind::mq, 0));
    w.write<RecordType::ipc_mq_msg>(image::IpcMqMsgRecord{1, 0, 0}, objref(ObjKind::mq, 0));
}

TEST(IpcParser, ValidSectionIsIndexed) {
    IpcIndex idx;
    parse(valid, idx);
    EXPECT_TRUE(idx.present);
    ASSERT_EQ(idx.shms.size(), 1u);
    EXPECT_EQ(idx.shms[0].segsz, 5000u);
    EXPECT_EQ(idx.msqs.size(), 1u);
    EXPECT_EQ(idx.max_msg, 3u);
    EXPECT_EQ(idx.sems.size(), 1u);
    EXPECT_EQ(idx.mqs.size(), 1u);
}

TEST(IpcParser, SysctlsRightAfterTheNamespaceOnce) {
    image::IpcSysctlRecord sc{};
    sc.msgmnb = 7000;
    sc.sem[0] = 100;
    IpcIndex idx;
    parse([&](RecordWriter& w) {
        ns(w, 0, 0, 0, 0);
        w.write<RecordType::ipc_sysctl>(sc, objref(ObjKind::ns, 0));
    }, idx);
    ASSERT_TRUE(idx.ns_sysctls.has_value());
    EXPECT_EQ(idx.ns_sysctls->msgmnb, 7000u);
    IpcIndex old;
    parse([](RecordWriter& w) { ns(w, 0, 0, 0, 0); }, old);  // an image from before the record
    EXPECT_FALSE(old.ns_sysctls.has_value());
    EXPECT_THROW(parse([&](RecordWriter& w) {  // twice
                     ns(w, 0, 0, 0, 0);
                     w.write<RecordType::ipc_sysctl>(sc, objref(ObjKind::ns, 0));
                     w.write<RecordType::ipc_sysctl>(sc, objref(ObjKind::ns, 0));
                 }),
                 Error);
    EXPECT_THROW(parse([&](RecordWriter& w) {  // after an object
                     ns(w, 1, 0, 0, 0);
                     w.write<RecordType::ipc_shm>(shm_rec(0, 4096), objref(ObjKind::shm, 0));
                     w.write<RecordType::ipc_sysctl>(sc, objref(ObjKind::ns, 0));
                 }),
                 Error);
    EXPECT_THROW(parse([&](RecordWriter& w) { w.write<RecordType::ipc_sysctl>(sc, objref(ObjKind::ns, 0)); }),
                 Error);  // before the namespace record
    image::IpcSysctlRecord neg = sc;
    neg.sem[2] = -1;
    EXPECT_THROW(parse([&](RecordWriter& w) {
                     ns(w, 0, 0, 0, 0);
                     w.write<RecordType::ipc_sysctl>(neg, objref(ObjKind::ns, 0));
                 }),
                 Error);
}

TEST(IpcParser, RefusesBadSegments) {
    auto one = [](image::IpcShmRecord s, uint64_t oref = 0) {
        return [s, oref](RecordWriter& w) {
            ns(w, 1, 0, 0, 0);
            w.write<RecordType::ipc_shm>(s, oref ? oref : objref(ObjKind::shm, static_cast<uint32_t>(s.perm.id)));
        };
    };
    EXPECT_THROW(parse(one(shm_rec(-1, 4096))), Error);                     // negative id
    EXPECT_THROW(parse(one(shm_rec(0, 0))), Error);                         // empty
    EXPECT_THROW(parse(one(shm_rec(0, max_segment_bytes + 1))), Error);     // huge
    auto dest = shm_rec(0, 4096);
    dest.perm.mode |= SHM_DEST;                                             // deleted but still keyed
    EXPECT_THROW(parse(one(dest)), Error);
    auto bits = shm_rec(0, 4096);
    bits.perm.mode |= SHM_HUGETLB;                                          // unknown mode bits
    EXPECT_THROW(parse(one(bits)), Error);
    EXPECT_THROW(parse(one(shm_rec(0, 4096), objref(ObjKind::shm, 9))), Error);  // objref of another id
    // Contents beyond the segment's pages.
    EXPECT_THROW(parse([](RecordWriter& w) {
                     ns(w, 1, 0, 0, 0);
                     w.write<RecordType::ipc_shm>(shm_rec(0, 4096), objref(ObjKind::shm, 0));
                     std::vector<std::byte> page(4096);
                     w.write_pages(4096, 12, page, objref(ObjKind::shm, 0));
                 }),
                 Error);
    // Two segments with one id; more segments than announced.
    EXPECT_THROW(parse([](RecordWriter& w) {
                     ns(w, 2, 0, 0, 0);
                     w.write<RecordType::ipc_shm>(shm_rec(0, 4096), objref(ObjKind::shm, 0));
                     w.write<RecordType::ipc_shm>(shm_rec(0, 4096), objref(ObjKind::shm, 0));
                 }),
                 Error);
    EXPECT_THROW(parse([](RecordWriter& w) {
                     ns(w, 0, 0, 0, 0);
                     w.write<RecordType::ipc_shm>(shm_rec(0, 4096), objref(ObjKind::shm, 0));
                 }),
                 Error);
}

TEST(IpcParser, RefusesBadMessagesAndValues) {
    auto queue = [](uint64_t qnum, uint64_t cbytes, image::IpcMsgRecord m) {
        return [=](RecordWriter& w) {
            ns(w, 0, 1, 0, 0);
            image::IpcMsqRecord q{};
            q.perm.mode = 0600;
            q.qnum = qnum;
            q.cbytes = cbytes;
            w.write<RecordType::ipc_msq>(q, objref(ObjKind::msq, 0));
            w.write<RecordType::ipc_msg>(m, objref(ObjKind::msq, 0));
            if (m.len) w.write_buffer(std::vector<std::byte>(m.len), objref(ObjKind::msq, 0));
        };
    };
    EXPECT_NO_THROW(parse(queue(1, 4, {2, 4})));
    EXPECT_THROW(parse(queue(1, 4, {0, 4})), Error);   // mtype must be > 0
    EXPECT_THROW(parse(queue(2, 4, {2, 4})), Error);   // a message missing
    EXPECT_THROW(parse(queue(1, 8, {2, 4})), Error);   // bytes do not add up
    EXPECT_THROW(parse(queue(1, 2, {2, 4})), Error);   // more bytes than announced
    auto sem = [](int32_t value) {
        return [=](RecordWriter& w) {
            ns(w, 0, 0, 1, 0);
            image::IpcSemRecord s{};
            s.nsems = 1;
            w.write<RecordType::ipc_sem>(s, objref(ObjKind::sem, 0));
            image::IpcSemValue v{value, 0};
            w.write_buffer(std::as_bytes(std::span(&v, 1)), objref(ObjKind::sem, 0));
        };
    };
    EXPECT_NO_THROW(parse(sem(32767)));
    EXPECT_THROW(parse(sem(32768)), Error);
    EXPECT_THROW(parse(sem(-1)), Error);
    auto mq = [](const char* name, uint32_t p1, uint32_t p2) {
        return [=](RecordWriter& w) {
            ns(w, 0, 0, 0, 1);
            image::IpcMqRecord r{};
            r.maxmsg = 4;
            r.msgsize = 8;
            r.curmsgs = 2;
            w.write<RecordType::ipc_mq>(r, objref(ObjKind::mq, 0));
            w.write_string(name, objref(ObjKind::mq, 0));
            w.write<RecordType::ipc_mq_msg>(image::IpcMqMsgRecord{p1, 0, 0}, objref(ObjKind::mq, 0));
            w.write<RecordType::ipc_mq_msg>(image::IpcMqMsgRecord{p2, 0, 0}, objref(ObjKind::mq, 0));
        };
    };
    EXPECT_NO_THROW(parse(mq("q", 3, 1)));
    EXPECT_THROW(parse(mq("q", 1, 3)), Error);          // not in receive order
    EXPECT_THROW(parse(mq("a/b", 3, 1)), Error);        // not a name
    EXPECT_THROW(parse(mq("..", 3, 1)), Error);
    EXPECT_THROW(parse(mq("q", 40000, 1)), Error);      // priority over MQ_PRIO_MAX
}

TEST(IpcParser, VmasMustMapWholeSegmentsOfTheImage) {
    IpcIndex idx;
    parse(valid, idx);
    Vma v;
    v.rec.kind = VmaKind::sysv_shm;
    v.rec.shared = 1;
    v.rec.start = 0x100000;
    v.rec.end = 0x100000 + 8192;  // segment 0 is 5000 bytes: two pages
    v.rec.inode = 0;
    EXPECT_NO_THROW(check_vmas(idx, {v}, 1));
    auto unknown = v;
    unknown.rec.inode = 7;
    EXPECT_THROW(check_vmas(idx, {unknown}, 1), Error);
    auto part = v;
    part.rec.end -= 4096;
    EXPECT_THROW(check_vmas(idx, {part}, 1), Error);
    auto off = v;
    off.rec.pgoff = 4096;
    EXPECT_THROW(check_vmas(idx, {off}, 1), Error);
}

}  // namespace
}  // namespace myrt::cr::ipc
