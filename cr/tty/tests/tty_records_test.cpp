// Hostile tty records: every one is refused by the restore before it opens
// anything (no devpts is needed: the checks come first). Seed 001's sanity
// checks and the ones it left as TODO.
#include "cr/files/files.hpp"
#include "cr/image/host_info.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/objhash/objhash.hpp"
#include "cr/transport/memory_stream.hpp"
#include "cr/tty/pty.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <functional>

using namespace myrt::cr;
namespace img = myrt::cr::image;

namespace {

struct Image {
    img::PtyRecord pty{0, 0, 3, 0x2d, 0, 0};
    std::string mount_point = "/dev/pts";
    img::TtyRecord master{}, slave{};
    std::vector<std::byte> master_input, slave_input;
    img::PtyFileRecord file{2, img::tty_end_slave, 0};
    uint32_t file_kind = img::file_kind_pty_slave;
    bool swap_ends = false;
    bool with_pair = true;  // false: PTY_FILE right after FILE (its own checks come first)
    Image() {
        master.end = img::tty_end_master;
        slave.end = img::tty_end_slave;
    }
};

std::string restore_error(const Image& im) {
    static bool registered = [] {
        files::FdKindRegistry::global().add(tty::make_pty_master_kind());
        files::FdKindRegistry::global().add(tty::make_pty_slave_kind());
        objhash::KindRegistry::global().add(tty::make_pty_leak_kind());
        return true;
    }();
    (void)registered;
    transport::MemorySink sink;
    img::RecordWriter w(sink);
    w.write_head(img::make_head(0));
    w.write_objref(1, objhash::kind::file);
    w.write<img::RecordType::file>(img::FileRecord{im.file_kind, O_RDWR, 0, 0, 0, 0, S_IFCHR | 0620, 0}, 1);
    if (im.with_pair) {
        w.write_objref(2, objhash::kind::pty);
        w.write<img::RecordType::pty>(im.pty, 2);
        w.write_string(im.mount_point, 2);
        auto first = im.swap_ends ? im.slave : im.master, second = im.swap_ends ? im.master : im.slave;
        w.write<img::RecordType::tty>(first, 2);
        if (!im.master_input.empty()) w.write_buffer(im.master_input, 2);
        w.write<img::RecordType::tty>(second, 2);
        if (!im.slave_input.empty()) w.write_buffer(im.slave_input, 2);
    }
    w.write<img::RecordType::pty_file>(im.file, 1);
    w.write<img::RecordType::fd_table>(img::FdTableRecord{0, 0});
    w.finish();
    transport::MemorySource src(sink.bytes());
    img::RecordReader r(src);
    r.read_head();
    objhash::ObjHash objs;
    files::RestoreContext ctx{objs, "/nonexistent-root"};
    ctx.init_pid = 0;  // any open would fail: only the checks may answer
    try {
        files::read_fds(r, ctx);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

void expect_refused(const std::function<void(Image&)>& spoil, const std::string& words) {
    Image im;
    spoil(im);
    std::string err = restore_error(im);
    EXPECT_NE(err.find(words), std::string::npos) << "error was: " << err;
}

}  // namespace

TEST(TtyRecords, AValidPairGetsPastTheChecks) {
    // Checks pass; only then does it look for the container (none here).
    std::string err = restore_error(Image{});
    EXPECT_NE(err.find("no container init"), std::string::npos) << err;
}

TEST(TtyRecords, UnknownPtyFlags) { expect_refused([](Image& im) { im.pty.flags = 1u << 9; }, "unknown flags"); }
TEST(TtyRecords, ConsoleWithReservedMasterFile) {
    expect_refused([](Image& im) { im.pty.flags = img::pty_flag_console; }, "reserved exactly when");
}
TEST(TtyRecords, NoReservedMasterFile) { expect_refused([](Image& im) { im.pty.master_file_objref = 0; }, "reserved exactly when"); }
TEST(TtyRecords, MasterFileIsThePtyItself) { expect_refused([](Image& im) { im.pty.master_file_objref = 2; }, "its own"); }
TEST(TtyRecords, ForegroundWithoutSession) { expect_refused([](Image& im) { im.pty.fg_pgrp = 5; }, "out of range"); }
TEST(TtyRecords, NegativeSession) { expect_refused([](Image& im) { im.pty.session = -1; }, "out of range"); }
TEST(TtyRecords, MountPointEscapes) { expect_refused([](Image& im) { im.mount_point = "/dev/../../etc"; }, "clean absolute"); }
TEST(TtyRecords, MountPointRelative) { expect_refused([](Image& im) { im.mount_point = "dev/pts"; }, "clean absolute"); }
TEST(TtyRecords, SlaveBeforeMaster) { expect_refused([](Image& im) { im.swap_ends = true; }, "master first"); }
TEST(TtyRecords, OtherLineDiscipline) { expect_refused([](Image& im) { im.slave.ldisc = 2; }, "line discipline"); }
TEST(TtyRecords, OtherCLine) { expect_refused([](Image& im) { im.master.line = 1; }, "c_line"); }
TEST(TtyRecords, UnknownTtyFlags) { expect_refused([](Image& im) { im.slave.flags = 4; }, "unknown tty flags"); }
TEST(TtyRecords, ReservedTtyField) { expect_refused([](Image& im) { im.slave.reserved = 1; }, "reserved field"); }
TEST(TtyRecords, TooMuchSlaveInput) {
    expect_refused([](Image& im) { im.slave.input_len = img::tty_input_max + 1; }, "unread input (at most");
}
TEST(TtyRecords, InputShorterThanAnnounced) {
    expect_refused(
        [](Image& im) {
            im.slave.input_len = 10;
            im.slave_input.resize(4);
        },
        "announced");
}
TEST(TtyRecords, InputLongerThanAnnounced) {
    expect_refused(
        [](Image& im) {
            im.master.input_len = 2;
            im.master_input.resize(5);
        },
        "more unread input");
}
TEST(TtyRecords, EndDoesNotMatchTheFileKind) { expect_refused([](Image& im) { im.with_pair = false; im.file.end = img::tty_end_master; }, "end 1 in a slave"); }
TEST(TtyRecords, UnknownPtyFileFlags) { expect_refused([](Image& im) { im.with_pair = false; im.file.flags = 8; }, "unknown flags"); }
TEST(TtyRecords, PtyFileNamesNoPty) { expect_refused([](Image& im) { im.with_pair = false; im.file.pty_objref = 9; }, "was not restored before"); }
TEST(TtyRecords, HungUpMaster) {
    expect_refused(
        [](Image& im) {
            im.with_pair = false;
            im.file_kind = img::file_kind_pty_master;
            im.file = {0, img::tty_end_master, img::pty_file_hung_up};
        },
        "only a slave description");
}
