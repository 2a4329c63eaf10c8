// Open files through a checkpoint and a restore: workload processes in a pid
// namespace set up their fds, the files layer dumps them into an in-memory
// image, the workloads die, and fresh processes get the fds back by injection.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "cr/files/files.hpp"
#include "cr/memory/dump_memory.hpp"
#include "cr/task/dump_task.hpp"
#include "cr/task/restore_task.hpp"
#include "fd_workload.h"
#include "cr/image/host_info.hpp"
#include "cr/objhash/leak_detector.hpp"
#include "cr/objhash/leak_process.hpp"
#include "cr/ptrace/seize.hpp"
#include "cr/task/spawn.hpp"
#include "cr/transport/memory_stream.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

using namespace myrt;
using namespace myrt::cr;
namespace img = myrt::cr::image;

namespace {

// A pid namespace kept alive by a reaper as its pid 1.
class PidNamespace {
public:
    PidNamespace() {
        int p[2];
        check(::pipe(p), "pipe");
        UniqueFd rd(p[0]), wr(p[1]);
        holder_ = check(::fork(), "fork");
        if (holder_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::unshare(CLONE_NEWPID) != 0) ::_exit(1);
            pid_t init = ::fork();
            if (init == 0) {
                ::prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                    if (::waitpid(-1, nullptr, 0) < 0) ::pause();
            }
            (void)!::write(wr.get(), &init, sizeof init);
            ::waitpid(init, nullptr, 0);
            ::_exit(0);
        }
        wr.reset();
        if (::read(rd.get(), &init_, sizeof init_) != sizeof init_ || init_ <= 0) fail("pid namespace holder failed");
        std::string path = fmt::format("/proc/{}/ns/pid", init_);
        nsfd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!nsfd_) throw_errno("open {}", path);
    }
    ~PidNamespace() {
        ::kill(init_, SIGKILL);
        ::kill(holder_, SIGKILL);
        ::waitpid(holder_, nullptr, 0);
    }
    int fd() const { return nsfd_.get(); }

private:
    pid_t holder_ = -1, init_ = -1;
    UniqueFd nsfd_;
};

// State the test and its workloads share (an anonymous MAP_SHARED page set).
struct Shared {
    std::atomic<int> ready;
    std::atomic<int> go;
    std::atomic<int> done;
    int read_len;
    char buf[512 * 1024];
};

class SharedPage {
public:
    SharedPage() {
        void* m = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) throw_errno("mmap");
        map_ = Mapping(m, sizeof(Shared));
    }
    Shared* operator->() const { return static_cast<Shared*>(map_.data()); }

private:
    Mapping map_;
};

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return pred();
}

void reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, __WALL);
}

[[noreturn]] void park() {
    for (;;) ::pause();
}

// A fresh process for fds to be restored into: nothing above fd 2, then it
// waits for `go` and runs `after`.
pid_t spawn_fresh(PidNamespace& ns, pid_t ns_pid, SharedPage& shared, std::function<void()> after = {}) {
    Shared* s = &*shared.operator->();
    pid_t pid = spawn_in_pidns(ns.fd(), ns_pid, [s, after] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        s->ready.fetch_add(1);
        while (!s->go.load()) ::usleep(1000);
        if (after) after();
        s->done.fetch_add(1);  // with several fresh processes, the test waits for all of them
        park();
    });
    return pid;
}

struct Fdinfo {
    uint64_t pos = 0;
    uint32_t flags = 0;
};

Fdinfo fdinfo(pid_t pid, int fd) {
    std::ifstream in(fmt::format("/proc/{}/fdinfo/{}", pid, fd));
    Fdinfo out;
    std::string key;
    while (in >> key) {
        if (key == "pos:") in >> out.pos;
        else if (key == "flags:") in >> std::oct >> out.flags >> std::dec;
        else in.ignore(1 << 20, '\n');
    }
    return out;
}

std::string fd_link(pid_t pid, int fd) {
    std::error_code ec;
    return std::filesystem::read_symlink(fmt::format("/proc/{}/fd/{}", pid, fd), ec).string();
}

struct stat fd_stat(pid_t pid, int fd) {
    struct stat st {};
    check(::stat(fmt::format("/proc/{}/fd/{}", pid, fd).c_str(), &st), "stat fd {} of {}", fd, pid);
    return st;
}

UniqueFd steal_fd(pid_t pid, int fd) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw_errno("pidfd_open {}", pid);
    UniqueFd out(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
    if (!out) throw_errno("pidfd_getfd {} of {}", fd, pid);
    return out;
}

pid_t first_child(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/task/{}/children", pid, pid));
    pid_t child = 0;
    in >> child;
    return child;
}

double last_dump_fds_ms = 0;  // dump_fds alone, without seizing and the collect pass

// Dumps the fds of `pids` (seized for the duration) into an image.
std::vector<std::byte> dump(const std::vector<pid_t>& pids, std::function<bool(pid_t, int)> inherited = {},
                            std::vector<uint64_t> outside_inodes = {}) {
    objhash::ObjHash objs;
    transport::MemorySink sink;
    img::RecordWriter w(sink);
    w.write_head(img::make_head(img::head_flag_subtree));
    std::vector<SeizedProcess> seized;
    for (pid_t p : pids) seized.emplace_back(p, SeizeMode::checkpoint);
    // The driver's order: the collect pass first, then the dump with reverse-leak
    // checks on, so any object the files layer meets that collect filed
    // differently would throw here.
    objhash::LeakDetector leaks(objs);
    leaks.collect(pids);
    objs.begin_dump(true);
    files::DumpContext ctx{objs, fmt::format("/proc/{}/root", pids.at(0)), std::move(inherited), std::move(outside_inodes)};
    for (pid_t p : pids) files::check_fds(p, ctx);
    files::check_fd_tables_unshared(pids);
    auto t0 = std::chrono::steady_clock::now();
    for (pid_t p : pids) files::dump_fds(p, ctx, w);
    last_dump_fds_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    w.finish();
    for (const objhash::Object* o : objs.objects())
        if ((o->key.kind == objhash::kind::file || o->key.kind == objhash::kind::pipe) && !o->visited)
            fail("the files dump never visited {} {}", objhash::kind_name(o->key.kind), o->name);
    return std::move(sink.bytes());
}

// Restores the image's fd tables into `pids`, in the order they were dumped.
void restore(const std::vector<std::byte>& image, const std::vector<pid_t>& pids, const std::string& root = "/",
             std::array<int, 3> caller_stdio = {0, 1, 2}) {
    transport::MemorySource src(image);
    img::RecordReader r(src);
    r.read_head();
    {
        objhash::ObjHash objs;
        files::RestoreContext ctx{objs, root, caller_stdio};
        for (pid_t p : pids) {
            SeizedProcess proc(p, SeizeMode::restore);
            Injector inj(proc.live_tid());
            auto table = files::read_fds(r, ctx);
            files::restore_fds(p, inj, ctx, table);
            inj.finish();
            proc.detach();
        }
    }
    if (r.next()) fail("records left after the files sections");
}

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/myrt-files-test-XXXXXX";
        if (!::mkdtemp(tmpl)) throw_errno("mkdtemp");
        path_ = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace

TEST(Files, RegularDirectoryDeviceDeletedAndCloexecComeBack) {
    PidNamespace ns;
    SharedPage shared;
    TempDir dir;
    std::string data = dir.path() + "/data.txt", log = dir.path() + "/log.txt", del = dir.path() + "/gone.txt";
    { std::ofstream(data) << "0123456789abcdef"; }
    { std::ofstream(log) << "line one\n"; }
    Shared* s = &*shared.operator->();
    pid_t work = spawn_in_pidns(ns.fd(), 10, [&, s] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        int f3 = ::open(data.c_str(), O_RDWR | O_CLOEXEC);
        ::lseek(f3, 5, SEEK_SET);
        int f4 = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        int f5 = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
        int f6 = ::open("/dev/null", O_RDWR | O_NONBLOCK);
        int f7 = ::open(del.c_str(), O_RDWR | O_CREAT | O_EXCL, 0640);
        (void)!::write(f7, "secret contents", 15);
        ::lseek(f7, 3, SEEK_SET);
        ::unlink(del.c_str());
        int f8 = ::dup(f3);  // the same description, without close-on-exec
        if (f3 != 3 || f4 != 4 || f5 != 5 || f6 != 6 || f7 != 7 || f8 != 8) ::_exit(3);
        s->ready.store(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; })) << "workload never became ready";

    auto image = dump({work}, [](pid_t, int fd) { return fd <= 2; });
    reap(work);
    shared->ready.store(0);

    pid_t fresh = spawn_fresh(ns, 10, shared);
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    restore(image, {fresh});

    // Regular file at its offset, cloexec on fd 3 only; fd 8 shares its description.
    EXPECT_EQ(fd_link(fresh, 3), data);
    EXPECT_EQ(fdinfo(fresh, 3).pos, 5u);
    EXPECT_EQ(fdinfo(fresh, 3).flags & O_ACCMODE, static_cast<uint32_t>(O_RDWR));
    EXPECT_TRUE(fdinfo(fresh, 3).flags & O_CLOEXEC);
    EXPECT_FALSE(fdinfo(fresh, 8).flags & O_CLOEXEC);
    EXPECT_EQ(objhash::kcmp_compare(fresh, fresh, KCMP_FILE, 3, 8), 0) << "fds 3 and 8 must share one description";
    {
        UniqueFd f = steal_fd(fresh, 3);
        char buf[3];
        ASSERT_EQ(::read(f.get(), buf, 3), 3);
        EXPECT_EQ(std::string(buf, 3), "567");
        EXPECT_EQ(fdinfo(fresh, 8).pos, 8u) << "reading through fd 3 moves fd 8's shared offset";
    }
    // O_APPEND, write-only, cloexec.
    EXPECT_EQ(fd_link(fresh, 4), log);
    EXPECT_TRUE(fdinfo(fresh, 4).flags & O_APPEND);
    EXPECT_EQ(fdinfo(fresh, 4).flags & O_ACCMODE, static_cast<uint32_t>(O_WRONLY));
    EXPECT_TRUE(fdinfo(fresh, 4).flags & O_CLOEXEC);
    // Directory.
    EXPECT_EQ(fd_link(fresh, 5), dir.path());
    EXPECT_TRUE(S_ISDIR(fd_stat(fresh, 5).st_mode));
    EXPECT_FALSE(fdinfo(fresh, 5).flags & O_CLOEXEC);
    // /dev/null, non-blocking.
    EXPECT_EQ(fd_link(fresh, 6), "/dev/null");
    EXPECT_TRUE(fdinfo(fresh, 6).flags & O_NONBLOCK);
    EXPECT_EQ(fd_stat(fresh, 6).st_rdev, makedev(1, 3));
    // Deleted file: contents, offset and mode back, still unlinked.
    EXPECT_TRUE(fd_link(fresh, 7).ends_with("(deleted)")) << fd_link(fresh, 7);
    EXPECT_EQ(fd_stat(fresh, 7).st_nlink, 0u);
    EXPECT_EQ(fd_stat(fresh, 7).st_mode & 07777, 0640u);
    EXPECT_EQ(fdinfo(fresh, 7).pos, 3u);
    {
        UniqueFd f = steal_fd(fresh, 7);
        char buf[32] = {};
        ASSERT_EQ(::pread(f.get(), buf, sizeof buf, 0), 15);
        EXPECT_EQ(std::string(buf), "secret contents");
    }
    // Inherited stdio: the restorer's own fds 0-2.
    for (int fd = 0; fd <= 2; ++fd) {
        struct stat mine {};
        ASSERT_EQ(::fstat(fd, &mine), 0);
        EXPECT_EQ(fd_stat(fresh, fd).st_ino, mine.st_ino) << "fd " << fd;
    }
    // Nothing else: the fd channel is gone.
    EXPECT_EQ(fd_link(fresh, 9), "");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", fresh)),
                            std::filesystem::directory_iterator{}),
              9);
    reap(fresh);
}

TEST(Files, PipeSharedBetweenParentAndChildKeepsItsDataInFlight) {
    PidNamespace ns;
    SharedPage shared;
    constexpr int in_flight = 200000;  // more than a default pipe holds: the pipe size comes back too
    std::string pattern(in_flight, '\0');
    for (int i = 0; i < in_flight; ++i) pattern[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
    Shared* s = &*shared.operator->();
    pid_t parent = spawn_in_pidns(ns.fd(), 10, [&, s] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        int p[2];
        if (::pipe(p) != 0 || p[0] != 3 || p[1] != 4) ::_exit(3);
        if (::fcntl(p[1], F_SETPIPE_SZ, 1 << 20) < 0) ::_exit(4);
        if (::write(p[1], pattern.data(), pattern.size()) != in_flight) ::_exit(5);
        if (::fork() == 0) {
            s->ready.fetch_add(1);  // the child holds both ends; its write end is the parent's description
            park();
        }
        ::close(p[0]);
        s->ready.fetch_add(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 2; })) << "workloads never became ready";
    pid_t child = first_child(parent);
    ASSERT_GT(child, 0);

    auto image = dump({parent, child}, [](pid_t, int fd) { return fd <= 2; });
    {
        // The dump peeked, it did not drain.
        UniqueFd rd = steal_fd(child, 3);
        int pending = 0;
        ASSERT_EQ(::ioctl(rd.get(), FIONREAD, &pending), 0);
        EXPECT_EQ(pending, in_flight);
    }
    reap(child);
    reap(parent);
    shared->ready.store(0);

    pid_t new_parent = spawn_fresh(ns, 20, shared);
    pid_t new_child = spawn_fresh(ns, 21, shared, [s] {
        int got = 0;
        while (got < in_flight) {
            ssize_t n = ::read(3, s->buf + got, static_cast<size_t>(in_flight - got));
            if (n <= 0) break;
            got += static_cast<int>(n);
        }
        s->read_len = got;
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 2; }));
    restore(image, {new_parent, new_child});

    EXPECT_EQ(fd_link(new_parent, 3), "") << "the parent had closed its read end";
    EXPECT_EQ(fd_stat(new_parent, 4).st_ino, fd_stat(new_child, 3).st_ino) << "both processes must hold one pipe";
    EXPECT_EQ(fd_stat(new_child, 3).st_ino, fd_stat(new_child, 4).st_ino);
    EXPECT_EQ(objhash::kcmp_compare(new_parent, new_child, KCMP_FILE, 4, 4), 0) << "the write end is one description";
    EXPECT_EQ(fdinfo(new_child, 3).flags & O_ACCMODE, static_cast<uint32_t>(O_RDONLY));
    EXPECT_EQ(fdinfo(new_parent, 4).flags & O_ACCMODE, static_cast<uint32_t>(O_WRONLY));
    {
        UniqueFd wr = steal_fd(new_parent, 4);
        EXPECT_EQ(::fcntl(wr.get(), F_GETPIPE_SZ), 1 << 20);
    }

    shared->go.store(1);
    ASSERT_TRUE(wait_until([&] { return shared->done.load() == 2; })) << "the restored child never finished reading";
    ASSERT_EQ(shared->read_len, in_flight);
    EXPECT_EQ(std::memcmp(shared->buf, pattern.data(), in_flight), 0) << "the child must read the same bytes";
    reap(new_child);
    reap(new_parent);
}

TEST(Files, UnsupportedFdIsRefusedNamingFdPidAndKind) {
    PidNamespace ns;
    SharedPage shared;
    Shared* s = &*shared.operator->();
    pid_t work = spawn_in_pidns(ns.fd(), 10, [s] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        if (::eventfd(0, 0) != 3) ::_exit(3);
        s->ready.store(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    try {
        dump({work}, [](pid_t, int fd) { return fd <= 2; });
        ADD_FAILURE() << "an eventfd must be refused";
    } catch (const Error& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("fd 3"), std::string::npos) << msg;
        EXPECT_NE(msg.find(fmt::format("pid {}", work)), std::string::npos) << msg;
        EXPECT_NE(msg.find("eventfd"), std::string::npos) << msg;
    }
    reap(work);
}

TEST(Files, SharedFdTableIsRefused) {
    PidNamespace ns;
    SharedPage shared;
    Shared* s = &*shared.operator->();
    pid_t work = spawn_in_pidns(ns.fd(), 10, [s] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        if (::syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0) == 0) park();
        s->ready.store(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    pid_t child = 0;
    ASSERT_TRUE(wait_until([&] { return (child = first_child(work)) > 0; }));
    pid_t pids[] = {work, child};
    try {
        files::check_fd_tables_unshared(pids);
        ADD_FAILURE() << "a shared fd table must be refused";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("share one fd table"), std::string::npos) << e.what();
    }
    reap(child);
    reap(work);
}

TEST(Files, ImagePathCannotEscapeTheRoot) {
    TempDir root;
    // A FILE record whose path climbs out of the root: RESOLVE_IN_ROOT keeps
    // it inside, where /etc/hostname does not exist.
    transport::MemorySink sink;
    img::RecordWriter w(sink);
    w.write_head(img::make_head(img::head_flag_subtree));
    img::FileRecord rec{};
    rec.kind = img::file_kind_regular;
    rec.flags = O_RDONLY;
    rec.mode = S_IFREG | 0644;
    w.write_objref(1, objhash::kind::file);
    w.write<img::RecordType::file>(rec, 1);
    w.write_string("/../../../../etc/hostname", 1);
    w.write<img::RecordType::fd_table>(img::FdTableRecord{1, 0});
    w.write<img::RecordType::fd>(img::FdRecord{3, 0, img::fd_kind_file, 0, 1});
    w.finish();
    ASSERT_TRUE(std::filesystem::exists("/etc/hostname"));

    transport::MemorySource src(sink.bytes());
    img::RecordReader r(src);
    r.read_head();
    objhash::ObjHash objs;
    files::RestoreContext ctx{objs, root.path()};
    try {
        files::read_fds(r, ctx);
        ADD_FAILURE() << "a path outside the root must not open";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/etc/hostname"), std::string::npos) << e.what();
    }
}

TEST(Files, FdOfAnUnknownObjectIsRejected) {
    transport::MemorySink sink;
    img::RecordWriter w(sink);
    w.write_head(img::make_head(img::head_flag_subtree));
    w.write<img::RecordType::fd_table>(img::FdTableRecord{1, 0});
    w.write<img::RecordType::fd>(img::FdRecord{3, 0, img::fd_kind_file, 0, 42});
    w.finish();
    transport::MemorySource src(sink.bytes());
    img::RecordReader r(src);
    r.read_head();
    objhash::ObjHash objs;
    files::RestoreContext ctx{objs, "/"};
    EXPECT_THROW(files::read_fds(r, ctx), Error);
}

// Not a timed assertion: prints the cost per fd (the figures in docs/cr-files.md).
TEST(Files, HundredsOfFdsRoundTrip) {
    PidNamespace ns;
    SharedPage shared;
    TempDir dir;
    std::string data = dir.path() + "/many.txt";
    { std::ofstream(data) << "many"; }
    constexpr int files = 200, pipes = 100;
    Shared* s = &*shared.operator->();
    pid_t work = spawn_in_pidns(ns.fd(), 10, [&, s] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        for (int i = 0; i < files; ++i) ::open(data.c_str(), O_RDONLY);
        for (int i = 0; i < pipes; ++i) {
            int p[2];
            if (::pipe(p) != 0) ::_exit(3);
            (void)!::write(p[1], "x", 1);
        }
        s->ready.store(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    auto t0 = std::chrono::steady_clock::now();
    auto image = dump({work}, [](pid_t, int fd) { return fd <= 2; });
    auto t1 = std::chrono::steady_clock::now();
    reap(work);
    shared->ready.store(0);
    pid_t fresh = spawn_fresh(ns, 10, shared);
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    auto t2 = std::chrono::steady_clock::now();
    restore(image, {fresh});
    auto t3 = std::chrono::steady_clock::now();
    int total = 3 + files + 2 * pipes;
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", fresh)),
                            std::filesystem::directory_iterator{}),
              total);
    EXPECT_NE(objhash::kcmp_compare(fresh, fresh, KCMP_FILE, 3, 4), 0) << "two opens stay two descriptions";
    {
        UniqueFd rd = steal_fd(fresh, 3 + files + 2 * (pipes - 1));
        int pending = 0;
        ASSERT_EQ(::ioctl(rd.get(), FIONREAD, &pending), 0);
        EXPECT_EQ(pending, 1);
    }
    using ms = std::chrono::duration<double, std::milli>;
    std::printf("[ figures  ] %d fds: dump %.1f ms (dump_fds alone %.1f ms), restore %.1f ms (%.1f us per fd), image %zu bytes\n", total,
                ms(t1 - t0).count(), last_dump_fds_ms, ms(t3 - t2).count(), ms(t3 - t2).count() * 1000 / total, image.size());
    reap(fresh);
}

// The whole process, not only its fds: the workload is dumped (task state,
// memory, fds), killed, rebuilt in a placeholder with the same pid, and then
// checks its own fds and reports.
namespace {
void whole_process_round_trip(bool fds_after_memory);
}

TEST(Files, RestoredProcessFindsItsPipeFileAndDeletedFile) { whole_process_round_trip(false); }
// The driver may also install fds once the address space is the dumped one.
TEST(Files, FdsInstalledAfterTheAddressSpaceWorkToo) { whole_process_round_trip(true); }

namespace {
void whole_process_round_trip(bool fds_after_memory) {
    PidNamespace ns;
    TempDir dir;
    std::string page_path = dir.path() + "/page";
    {
        std::ofstream(page_path) << std::string(4096, '\0');
        std::ofstream(dir.path() + "/data.txt") << "0123456789abcdef";
    }
    UniqueFd page_fd(::open(page_path.c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(page_fd);
    void* m = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, page_fd.get(), 0);
    ASSERT_NE(m, MAP_FAILED);
    Mapping page_map(m, 4096);
    auto* page = static_cast<fd_page*>(m);

    std::string dir_path = dir.path();
    pid_t work = spawn_in_pidns(ns.fd(), 30, [&] {
        ::execl(CR_FILES_WORKLOAD, "fd_workload", page_path.c_str(), dir_path.c_str(), nullptr);
        ::_exit(126);
    });
    ASSERT_TRUE(wait_until([&] { return page->ready == 1; })) << "workload never became ready";

    ProcessState state;
    MemoryContents memory;
    std::vector<std::byte> image;
    {
        SeizedProcess proc(work, SeizeMode::checkpoint);
        state = dump_process_state(proc);
        dump_memory(proc.live_tid(), state.vmas, memory.sink());
        objhash::ObjHash objs;
        transport::MemorySink sink;
        img::RecordWriter w(sink);
        w.write_head(img::make_head(img::head_flag_subtree));
        files::DumpContext ctx{objs, fmt::format("/proc/{}/root", work), [](pid_t, int fd) { return fd <= 2; }, {}};
        files::check_fds(work, ctx);
        files::dump_fds(work, ctx, w);
        w.finish();
        image = std::move(sink.bytes());
        proc.kill_and_reap();
    }

    pid_t fresh = spawn_restore_placeholder(ns.fd(), 30);
    {
        transport::MemorySource src(image);
        img::RecordReader r(src);
        r.read_head();
        SeizedProcess proc(fresh, SeizeMode::restore);
        try {
            objhash::ObjHash objs;
            files::RestoreContext ctx{objs, "/"};
            auto table = files::read_fds(r, ctx);
            auto install = [&] {
                Injector inj(proc.live_tid());
                files::restore_fds(fresh, inj, ctx, table);
                inj.finish();
            };
            if (!fds_after_memory) install();
            restore_process(proc, state, memory);
            if (fds_after_memory) install();
        } catch (...) {
            proc.kill_and_reap();
            throw;
        }
        proc.detach();
    }
    page->go = 1;
    ASSERT_TRUE(wait_until([&] { return page->done == 1; })) << "the restored workload never reported";
    EXPECT_EQ(page->result, 1) << "restored workload: " << const_cast<const char*>(page->msg);
    reap(fresh);
}
}  // namespace

// The container's stdout is a pipe of whoever started it: recorded as
// inherited (found by the default rule, from outside_inodes), not dumped, and
// on restore it becomes the restoring caller's pipe.
TEST(Files, StdioPipeFromOutsideIsReattachedToTheRestoringCaller) {
    PidNamespace ns;
    SharedPage shared;
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    UniqueFd start_rd(p[0]), start_wr(p[1]);
    struct stat start_st {};
    ASSERT_EQ(::fstat(start_wr.get(), &start_st), 0);
    Shared* s = &*shared.operator->();
    int wr = start_wr.get();
    pid_t work = spawn_in_pidns(ns.fd(), 10, [s, wr] {
        ::dup2(wr, 1);
        ::syscall(SYS_close_range, 3, ~0u, 0);
        (void)!::write(1, "before", 6);
        s->ready.store(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    // Default rule for 0 and 2 (the test's own tty or pipes, on mounts the
    // workload sees too, so not inherited unless listed): list them as well.
    std::vector<uint64_t> outside{static_cast<uint64_t>(start_st.st_ino)};
    for (int fd : {0, 2}) {
        struct stat st {};
        ASSERT_EQ(::fstat(fd, &st), 0);
        outside.push_back(st.st_ino);
    }
    std::vector<std::byte> image;
    try {
        image = dump({work}, {}, outside);
    } catch (const Error& e) {
        reap(work);
        GTEST_SKIP() << "the test's own stdio is not restorable here: " << e.what();
    }
    reap(work);
    shared->ready.store(0);
    // The pipe data stayed the caller's: nothing about it went into the image.
    char buf[16] = {};
    ASSERT_EQ(::read(start_rd.get(), buf, sizeof buf), 6);

    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    UniqueFd restore_rd(p[0]), restore_wr(p[1]);
    pid_t fresh = spawn_fresh(ns, 10, shared, [] { (void)!::write(1, "after", 5); });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    restore(image, {fresh}, "/", {0, restore_wr.get(), 2});
    struct stat got {}, want {};
    ASSERT_EQ(::fstat(restore_wr.get(), &want), 0);
    got = fd_stat(fresh, 1);
    EXPECT_EQ(got.st_ino, want.st_ino) << "fd 1 must be the restoring caller's pipe";
    restore_wr.reset();
    shared->go.store(1);
    ASSERT_TRUE(wait_until([&] { return shared->done.load() == 1; }));
    char out[16] = {};
    EXPECT_EQ(::read(restore_rd.get(), out, sizeof out), 5);
    EXPECT_EQ(std::string(out), "after");
    reap(fresh);
}

// The container controls its root: a FIFO where the image has a regular file
// must be refused, not opened (a blocking open would hang the restorer).
TEST(Files, FifoPlantedWhereTheImageHasAFileIsRefusedWithoutOpening) {
    TempDir root;
    ASSERT_EQ(::mkfifo((root.path() + "/log").c_str(), 0600), 0);
    transport::MemorySink sink;
    img::RecordWriter w(sink);
    w.write_head(img::make_head(img::head_flag_subtree));
    img::FileRecord rec{};
    rec.kind = img::file_kind_regular;
    rec.flags = O_RDONLY;
    rec.mode = S_IFREG | 0644;
    w.write_objref(1, objhash::kind::file);
    w.write<img::RecordType::file>(rec, 1);
    w.write_string("/log", 1);
    w.write<img::RecordType::fd_table>(img::FdTableRecord{1, 0});
    w.write<img::RecordType::fd>(img::FdRecord{3, 0, img::fd_kind_file, 0, 1});
    w.finish();
    transport::MemorySource src(sink.bytes());
    img::RecordReader r(src);
    r.read_head();
    objhash::ObjHash objs;
    files::RestoreContext ctx{objs, root.path()};
    try {
        files::read_fds(r, ctx);
        ADD_FAILURE() << "a FIFO in place of a regular file must be refused";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("type 10000"), std::string::npos) << e.what();
    }
}

TEST(Files, PipeRecordClaimingMoreDataThanItsSizeIsRejected) {
    transport::MemorySink sink;
    img::RecordWriter w(sink);
    w.write_head(img::make_head(img::head_flag_subtree));
    w.write_objref(1, objhash::kind::pipe);
    w.write<img::RecordType::pipe>(img::PipeRecord{65536, 0, 65537}, 1);
    w.finish();
    transport::MemorySource src(sink.bytes());
    img::RecordReader r(src);
    r.read_head();
    objhash::ObjHash objs;
    files::RestoreContext ctx{objs, "/"};
    try {
        files::read_fds(r, ctx);
        ADD_FAILURE() << "must be rejected";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("65537 bytes in flight"), std::string::npos) << e.what();
    }
}

TEST(Files, NamedFifoKeepsItsDataInFlight) {
    PidNamespace ns;
    SharedPage shared;
    TempDir dir;
    std::string fifo = dir.path() + "/queue";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    Shared* s = &*shared.operator->();
    pid_t work = spawn_in_pidns(ns.fd(), 10, [&, s] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        if (::open(fifo.c_str(), O_RDONLY | O_NONBLOCK) != 3) ::_exit(3);
        if (::open(fifo.c_str(), O_WRONLY) != 4) ::_exit(4);
        ::fcntl(3, F_SETFL, 0);  // the reader blocks again
        (void)!::write(4, "fifo data in flight", 19);
        s->ready.store(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    auto image = dump({work}, [](pid_t, int fd) { return fd <= 2; });
    reap(work);
    shared->ready.store(0);

    pid_t fresh = spawn_fresh(ns, 10, shared, [s] { s->read_len = static_cast<int>(::read(3, s->buf, 64)); });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    restore(image, {fresh});
    EXPECT_EQ(fd_link(fresh, 3), fifo);
    EXPECT_EQ(fd_link(fresh, 4), fifo);
    EXPECT_EQ(fdinfo(fresh, 3).flags & (O_ACCMODE | O_NONBLOCK), static_cast<uint32_t>(O_RDONLY));
    EXPECT_EQ(fdinfo(fresh, 4).flags & O_ACCMODE, static_cast<uint32_t>(O_WRONLY));
    EXPECT_NE(objhash::kcmp_compare(fresh, fresh, KCMP_FILE, 3, 4), 0);
    shared->go.store(1);
    ASSERT_TRUE(wait_until([&] { return shared->done.load() == 1; }));
    ASSERT_EQ(shared->read_len, 19);
    EXPECT_EQ(std::string(shared->buf, 19), "fifo data in flight");
    reap(fresh);
}

// The default rule: stdio opened before the container got its own mount
// namespace lies on a mount the container does not have, so it is the
// caller's; a file opened inside is the container's.
TEST(Files, StdioFromBeforeTheMountNamespaceIsInheritedByDefault) {
    PidNamespace ns;
    SharedPage shared;
    Shared* s = &*shared.operator->();
    pid_t work = spawn_in_pidns(ns.fd(), 10, [s] {
        int null = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
        if (::unshare(CLONE_NEWNS) != 0) ::_exit(3);
        ::syscall(SYS_close_range, 3, ~0u, 0);
        if (::open("/dev/null", O_RDONLY) != 3) ::_exit(4);  // the container's own
        s->ready.store(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; })) << "workload never became ready";
    auto image = dump({work});
    reap(work);
    shared->ready.store(0);

    UniqueFd zero(::open("/dev/zero", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(zero);
    pid_t fresh = spawn_fresh(ns, 10, shared);
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    restore(image, {fresh}, "/", {zero.get(), zero.get(), zero.get()});
    for (int fd = 0; fd <= 2; ++fd)
        EXPECT_EQ(fd_link(fresh, fd), "/dev/zero") << "fd " << fd << " must be the restoring caller's";
    EXPECT_EQ(fd_link(fresh, 3), "/dev/null") << "the container's own /dev/null is dumped, not inherited";
    reap(fresh);
}

// /dev/tty means "my controlling terminal": the task reopens it itself. The
// test holds a pty master; the workload and the fresh process make its slave
// their controlling terminal and keep only /dev/tty open.
TEST(Files, DevTtyIsReopenedAsTheTasksControllingTerminal) {
    PidNamespace ns;
    SharedPage shared;
    UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    ASSERT_TRUE(master);
    ASSERT_EQ(::grantpt(master.get()), 0);
    ASSERT_EQ(::unlockpt(master.get()), 0);
    std::string slave = ::ptsname(master.get());
    Shared* s = &*shared.operator->();
    auto take_ctty = [slave] {
        ::setsid();
        int fd = ::open(slave.c_str(), O_RDWR);  // the first tty a session leader opens becomes its terminal
        if (fd < 0) ::_exit(5);
        ::close(fd);
    };
    pid_t work = spawn_in_pidns(ns.fd(), 10, [s, take_ctty] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        take_ctty();
        if (::open("/dev/tty", O_RDWR | O_CLOEXEC) != 3) ::_exit(4);
        s->ready.store(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; })) << "workload never became ready";
    auto image = dump({work}, [](pid_t, int fd) { return fd <= 2; });
    reap(work);
    shared->ready.store(0);

    // Without a controlling terminal the open fails, naming the fd.
    pid_t no_tty = spawn_in_pidns(ns.fd(), 11, [s] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        ::setsid();
        s->ready.fetch_add(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 1; }));
    try {
        restore(image, {no_tty});
        ADD_FAILURE() << "/dev/tty without a controlling terminal must fail";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/dev/tty for fd 3"), std::string::npos) << e.what();
    }
    reap(no_tty);

    pid_t fresh = spawn_in_pidns(ns.fd(), 12, [s, take_ctty] {
        ::syscall(SYS_close_range, 3, ~0u, 0);
        take_ctty();
        s->ready.fetch_add(1);
        park();
    });
    ASSERT_TRUE(wait_until([&] { return shared->ready.load() == 2; }));
    restore(image, {fresh});
    EXPECT_EQ(fd_link(fresh, 3), "/dev/tty");
    EXPECT_EQ(fd_stat(fresh, 3).st_rdev, makedev(5, 0));
    EXPECT_EQ(fdinfo(fresh, 3).flags & O_ACCMODE, static_cast<uint32_t>(O_RDWR));
    EXPECT_TRUE(fdinfo(fresh, 3).flags & O_CLOEXEC);
    reap(fresh);
}
