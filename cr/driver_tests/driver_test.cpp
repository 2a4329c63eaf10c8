#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <linux/capability.h>

#include "cr/driver/codec.hpp"
#include "cr/driver/criu_files.hpp"
#include "cr/ns/tmpfs_contents.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

ProcessState sample_process() {
    ProcessState st;
    st.core.ids.pid = 4242;
    st.core.ids.ns_depth = 2;
    st.core.ids.ns_pid[0] = 4242;
    st.core.ids.ns_pid[1] = 1;
    st.core.creds.cap_permitted = 0x5;
    st.groups = {1, 2, 3};
    st.cwd = "/work";
    st.root = "/";
    st.exe = "/bin/app";
    st.auxv = {6, 4096, 0, 0};
    st.seccomp.push_back({sock_filter{6, 0, 0, 0x7fff0000}});
    ThreadState t;
    t.core.tid = 4242;
    t.core.ns_tid = 1;
    t.core.fpu_size = 16;
    t.fpu.assign(16, std::byte{0x11});
    st.threads.push_back(t);
    Vma v;
    v.rec.start = 0x400000;
    v.rec.end = 0x401000;
    v.rec.kind = VmaKind::anonymous;
    v.path = "";
    st.vmas.push_back(v);
    Vma f;
    f.rec.start = 0x500000;
    f.rec.end = 0x502000;
    f.rec.kind = VmaKind::file;
    f.path = "/bin/app";
    st.vmas.push_back(f);
    return st;
}

TEST(Codec, ProcessRoundTrips) {
    auto st = sample_process();
    auto back = driver::decode_process(driver::encode_process(st));
    EXPECT_EQ(back.core.ids.ns_pid[1], 1);
    EXPECT_EQ(back.groups, st.groups);
    EXPECT_EQ(back.cwd, "/work");
    EXPECT_EQ(back.exe, "/bin/app");
    ASSERT_EQ(back.seccomp.size(), 1u);
    EXPECT_EQ(back.seccomp[0][0].k, 0x7fff0000u);
    ASSERT_EQ(back.threads.size(), 1u);
    EXPECT_EQ(back.threads[0].fpu, st.threads[0].fpu);
    ASSERT_EQ(back.vmas.size(), 2u);
    EXPECT_EQ(back.vmas[1].path, "/bin/app");
}

TEST(Codec, ThreadCredentialsRoundTrip) {
    auto st = sample_process();
    // A second thread with credentials of its own (a raw setresuid changes only its caller).
    ThreadState t = st.threads[0];
    t.core.tid = 4243;
    t.core.ns_tid = 2;
    t.creds.uid[0] = t.creds.uid[1] = 1000;
    t.creds.cap_effective = 0x1;
    t.groups = {4242};
    st.threads.push_back(t);
    auto back = driver::decode_process(driver::encode_process(st));
    ASSERT_EQ(back.threads.size(), 2u);
    EXPECT_EQ(back.threads[1].creds.uid[1], 1000u);
    EXPECT_EQ(back.threads[1].creds.cap_effective, 0x1u);
    EXPECT_EQ(back.threads[1].groups, std::vector<uint32_t>{4242});
    EXPECT_TRUE(back.threads[0].groups.empty());
}

// Every truncation of a valid section is an Error naming the section, never a crash.
TEST(Codec, EveryTruncationIsRefused) {
    auto bytes = driver::encode_process(sample_process());
    for (size_t n = 0; n < bytes.size(); ++n) {
        try {
            driver::decode_process(std::span(bytes.data(), n));
            ADD_FAILURE() << "a section cut at " << n << " of " << bytes.size() << " bytes was accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("process section"), std::string::npos) << e.what();
        }
    }
}

TEST(Codec, HostileCountsAndLayoutsAreRefused) {
    auto st = sample_process();
    st.core.ids.ns_depth = 9;
    EXPECT_THROW(driver::decode_process(driver::encode_process(st)), Error);
    st = sample_process();
    st.vmas[1].rec.start = 0x400800;  // overlaps the first, unaligned
    EXPECT_THROW(driver::decode_process(driver::encode_process(st)), Error);
    st = sample_process();
    st.threads[0].core.fpu_size = 4096;  // record and bytes disagree
    EXPECT_THROW(driver::decode_process(driver::encode_process(st)), Error);
    // A huge group count with nothing behind it: refused before any allocation.
    auto bytes = driver::encode_process(sample_process());
    uint32_t huge = 0xffffffff;
    std::memcpy(bytes.data() + sizeof(ProcessCoreRecord), &huge, sizeof huge);
    EXPECT_THROW(driver::decode_process(bytes), Error);
    // Trailing garbage.
    bytes = driver::encode_process(sample_process());
    bytes.push_back(std::byte{0});
    EXPECT_THROW(driver::decode_process(bytes), Error);
}

// task: POSIX timers and file locks travel in the process section, time
// offsets in the namespaces section; junk in them is refused.
TEST(Codec, TimersLocksAndTimeOffsetsRoundTripAndRefuseJunk) {
    auto st = sample_process();
    PosixTimerRecord t{};
    t.id = 3;
    t.clock = 1;
    t.signo = 34;
    t.notify = 4 | 0;  // SIGEV_THREAD_ID | SIGEV_SIGNAL
    t.target = 1;
    t.sival = 0x1234;
    t.interval_nsec = 50000000;
    t.value_sec = 7;
    st.posix_timers.push_back(t);
    st.file_locks.push_back(FileLockRecord{4, 2, 1, 0, 0, 99});
    auto back = driver::decode_process(driver::encode_process(st));
    ASSERT_EQ(back.posix_timers.size(), 1u);
    EXPECT_EQ(back.posix_timers[0].sival, 0x1234u);
    EXPECT_EQ(back.posix_timers[0].value_sec, 7);
    ASSERT_EQ(back.file_locks.size(), 1u);
    EXPECT_EQ(back.file_locks[0].end, 99);
    auto bad = st;
    bad.posix_timers[0].interval_nsec = 1000000000;
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);
    bad = st;
    bad.posix_timers[0].signo = 0;
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);
    bad = st;
    bad.file_locks[0].kind = 9;
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);
    bad = st;
    bad.file_locks[0].end = -5;
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);

    ns::NamespaceState n;
    n.flags = ns::ns_pid | ns::ns_time;
    n.time_offsets = "monotonic 86400 0\nboottime 0 0\n";
    EXPECT_EQ(driver::decode_namespaces(driver::encode_namespaces(n)).time_offsets, n.time_offsets);
    n.flags = ns::ns_pid;  // offsets without a time namespace
    EXPECT_THROW(driver::decode_namespaces(driver::encode_namespaces(n)), Error);
}

TEST(Codec, ZombiesAndTuningRoundTripAndRefuseJunk) {
    auto st = sample_process();
    st.zombies.push_back(ZombieRecord{900, 12, 12, 1, 42 << 8, SIGCHLD});
    st.zombies.push_back(ZombieRecord{901, 13, 1, 1, SIGTERM, SIGCHLD});
    st.tuning = ProcessTuningRecord{1, 500, 1, 1000};
    st.thread_sched.assign(st.threads.size(), ThreadSchedRecord{0, 0, 5, 0, 0, 0, 0});
    auto back = driver::decode_process(driver::encode_process(st));
    ASSERT_EQ(back.zombies.size(), 2u);
    EXPECT_EQ(back.zombies[0].wait_status, 42 << 8);
    EXPECT_EQ(back.zombies[1].ns_pgid, 1);
    EXPECT_EQ(back.tuning.oom_score_adj, 500);
    ASSERT_EQ(back.thread_sched.size(), st.threads.size());
    auto bad = st;
    bad.zombies[1].wait_status = SIGCHLD;  // no task dies of SIGCHLD
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);
    bad = st;
    bad.zombies[1].wait_status = SIGSEGV | 0x80;  // a core dump
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);
    bad = st;
    bad.zombies[0].ns_pid = 0;
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);
    bad = st;
    bad.tuning.oom_score_adj = 2000;
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);
    bad = st;
    bad.thread_sched.push_back({});
    EXPECT_THROW(driver::decode_process(driver::encode_process(bad)), Error);
}

TEST(Codec, UserNamespaceMapsRoundTripAndRefuseJunk) {
    ns::NamespaceState n;
    n.flags = ns::ns_pid | ns::ns_user;
    n.uid_map = {{0, 100000, 65536}};
    n.gid_map = {{0, 100000, 1000}, {1000, 300000, 10}};
    auto back = driver::decode_namespaces(driver::encode_namespaces(n));
    EXPECT_EQ(back.uid_map, n.uid_map);
    EXPECT_EQ(back.gid_map, n.gid_map);
    EXPECT_TRUE(ns::same_id_map(back.gid_map, {{1000, 300000, 10}, {0, 100000, 1000}}));
    EXPECT_EQ(ns::id_to_host(back.gid_map, 1005), 300005u);
    EXPECT_EQ(ns::id_to_inside(back.gid_map, 100999), 999u);
    EXPECT_FALSE(ns::id_to_inside(back.uid_map, 0).has_value());
    auto refused = [](ns::NamespaceState bad) {
        EXPECT_THROW(driver::decode_namespaces(driver::encode_namespaces(bad)), Error);
    };
    auto bad = n;
    bad.uid_map.clear();  // a user namespace without a map
    refused(bad);
    bad = n;
    bad.gid_map = {{0, 100000, 1000}, {500, 200000, 10}};  // inside ranges overlap
    refused(bad);
    bad = n;
    bad.gid_map = {{0, 100000, 1000}, {2000, 100500, 10}};  // outside ranges overlap
    refused(bad);
    bad = n;
    bad.uid_map = {{0, 100000, 0}};
    refused(bad);
    bad = n;
    bad.uid_map = {{0xfffffff0u, 100000, 0x100}};  // past the largest id
    refused(bad);
    bad = n;
    bad.flags = ns::ns_pid;  // maps without a user namespace
    refused(bad);
}

TEST(Codec, NamespacesAndTmpfsEntriesRoundTripAndRefuseJunk) {
    ns::NamespaceState n;
    n.flags = ns::ns_pid | ns::ns_uts;
    n.hostname = "box";
    n.domainname = "dom";
    n.loopback_up = true;
    auto back = driver::decode_namespaces(driver::encode_namespaces(n));
    EXPECT_EQ(back.hostname, "box");
    EXPECT_TRUE(back.loopback_up);
    n.flags = 0x100;
    EXPECT_THROW(driver::decode_namespaces(driver::encode_namespaces(n)), Error);

    ns::TmpfsEntry e;
    e.kind = ns::TmpfsKind::file;
    e.mode = 0640;
    e.mount = "/dev/shm";
    e.path = "a/b";
    e.size = 10;
    EXPECT_EQ(driver::decode_tmpfs_entry(driver::encode_tmpfs_entry(e)).path, "a/b");
    e.mode = 0100644;  // file type bits are not the image's to set
    EXPECT_THROW(driver::decode_tmpfs_entry(driver::encode_tmpfs_entry(e)), Error);
    e.mode = 0644;
    e.kind = ns::TmpfsKind::dir;  // a directory with contents
    EXPECT_THROW(driver::decode_tmpfs_entry(driver::encode_tmpfs_entry(e)), Error);
}

// CRIU image files: magic, magic, length, then the protobuf message.
TEST(CriuFiles, StatsDumpLayout) {
    driver::DumpStats s;
    s.frozen_time_us = 300;  // varint 0xac 0x02
    auto b = driver::encode_stats_dump(s);
    ASSERT_GE(b.size(), 12u);
    uint32_t m0, m1, len;
    std::memcpy(&m0, b.data(), 4);
    std::memcpy(&m1, b.data() + 4, 4);
    std::memcpy(&len, b.data() + 8, 4);
    EXPECT_EQ(m0, 0x55105940u);
    EXPECT_EQ(m1, 0x57093306u);
    EXPECT_EQ(len, b.size() - 12);
    EXPECT_EQ(b[12], 0x0a);  // stats_entry field 1 (dump), length-delimited
    const std::vector<uint8_t> frozen = {0x10, 0xac, 0x02};  // dump_stats_entry field 2 = 300
    EXPECT_NE(std::search(b.begin(), b.end(), frozen.begin(), frozen.end()), b.end());
    auto inv = driver::encode_inventory();
    std::memcpy(&m0, inv.data(), 4);
    EXPECT_EQ(m0, 0x54564319u);
}

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/myrt-driver-test-XXXXXX";
        if (!::mkdtemp(tmpl)) throw_errno("mkdtemp");
        path = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string path;
};

ns::TmpfsEntry entry(const std::string& mount, const std::string& path, ns::TmpfsKind kind, uint64_t size = 0) {
    ns::TmpfsEntry e;
    e.kind = kind;
    e.mode = 0644;
    e.uid = ::getuid();
    e.gid = ::getgid();
    e.mount = mount;
    e.path = path;
    e.size = size;
    return e;
}

// A bundle user 1000:1000 (extra group 50) without capabilities: only what it
// could have made itself comes back; the rest is refused naming field and path.
TEST(TmpfsRestore, OwnersAndSetIdBitsTheBundleCouldNotGive) {
    if (::getuid() != 0) GTEST_SKIP() << "needs root to give files to uid 1000";
    TempDir mount;
    ns::TmpfsRestorer r(::getpid(), {mount.path}, {1000, 1000, {50}, 0});
    auto as = [&](const std::string& path, uint32_t uid, uint32_t gid, uint32_t mode, ns::TmpfsKind kind = ns::TmpfsKind::file) {
        auto e = entry(mount.path, path, kind);
        e.uid = uid;
        e.gid = gid;
        e.mode = mode;
        return e;
    };
    r.begin(as("own", 1000, 1000, 04755));   // setuid on its own file
    r.begin(as("extra", 1000, 50, 02755));   // setgid on a group it is in
    r.begin(as("sgid-dir", 1000, 50, 02775, ns::TmpfsKind::dir));
    r.begin(as("sgid-dir/x", 1000, 50, 0644));  // the directory's group, inherited
    struct stat st {};
    ASSERT_EQ(::stat((mount.path + "/own").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    auto refused = [&](const ns::TmpfsEntry& e, const std::string& words) {
        try {
            r.begin(e);
            ADD_FAILURE() << "entry " << e.path << " was accepted";
        } catch (const Error& err) {
            EXPECT_NE(std::string(err.what()).find(words), std::string::npos) << err.what();
            EXPECT_NE(std::string(err.what()).find(e.path), std::string::npos) << err.what();
        }
        EXPECT_NE(::lstat((mount.path + "/" + e.path).c_str(), &st), 0) << e.path << " was created";
    };
    refused(as("root-owned", 0, 1000, 0644), "field uid is 0");
    refused(as("root-group", 1000, 0, 0644), "field gid is 0");
    refused(as("setuid-root", 0, 0, 04755), "field uid is 0");
    refused(as("setgid-foreign", 1000, 42, 02755), "field gid is 42");

    // With CAP_CHOWN a foreign owner is fine, setuid on it still needs CAP_FOWNER.
    ns::TmpfsRestorer chowner(::getpid(), {mount.path}, {1000, 1000, {}, 1ull << CAP_CHOWN});
    chowner.begin(as("chowned", 0, 0, 0644));
    try {
        chowner.begin(as("chowned-suid", 0, 0, 04755));
        ADD_FAILURE() << "setuid root accepted with CAP_CHOWN alone";
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("field mode is 4755"), std::string::npos) << err.what();
    }
}

TEST(TmpfsRestore, CreatesInsideTheMountOnly) {
    TempDir outside, mount;
    ns::TmpfsRestorer r(::getpid(), {mount.path}, {::getuid(), ::getgid(), {}, 0});
    r.begin(entry(mount.path, "d", ns::TmpfsKind::dir));
    r.begin(entry(mount.path, "d/f", ns::TmpfsKind::file, 5));
    r.data(std::as_bytes(std::span("hello", 5)));
    r.end();
    std::ifstream f(mount.path + "/d/f");
    std::string text;
    f >> text;
    EXPECT_EQ(text, "hello");

    // Not a mount of the bundle, "..", absolute, empty components: refused.
    EXPECT_THROW(r.begin(entry(outside.path, "x", ns::TmpfsKind::file)), Error);
    EXPECT_THROW(r.begin(entry(mount.path, "../x", ns::TmpfsKind::file)), Error);
    EXPECT_THROW(r.begin(entry(mount.path, "/etc/x", ns::TmpfsKind::file)), Error);
    EXPECT_THROW(r.begin(entry(mount.path, "d//x", ns::TmpfsKind::file)), Error);

    // A symlink planted by an earlier entry cannot lead out: it resolves
    // inside the mount (RESOLVE_IN_ROOT), and an existing name is never reused.
    auto link = entry(mount.path, "escape", ns::TmpfsKind::symlink);
    link.target = outside.path;
    r.begin(link);
    try {
        r.begin(entry(mount.path, "escape/planted", ns::TmpfsKind::file));  // lands inside, or fails
    } catch (const Error&) {
    }
    EXPECT_FALSE(std::filesystem::exists(outside.path + "/planted"));
    auto overwrite = entry(mount.path, "escape", ns::TmpfsKind::file);
    EXPECT_THROW(r.begin(overwrite), Error);

    // More bytes than the size, or fewer: refused.
    r.begin(entry(mount.path, "g", ns::TmpfsKind::file, 2));
    EXPECT_THROW(r.data(std::as_bytes(std::span("abc", 3))), Error);
    EXPECT_THROW(r.end(), Error);
}

}  // namespace
}  // namespace myrt::cr
