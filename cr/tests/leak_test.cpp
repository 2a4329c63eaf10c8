// Leak detection with real processes: the "container" is a set of children of
// this test; another child plays the outside process that shares (or does not
// share) a file description, a pipe or a namespace with it. The host's own
// namespaces are declared external, as a driver does for namespaces the
// container did not create.
#include "cr/objhash/leak_detector.hpp"
#include "cr/tests/test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>

using namespace myrt::cr::objhash;
using myrt::cr::testing::SleepingChild;
using ::testing::HasSubstr;

namespace {

LeakOptions host_namespaces_external() {
    LeakOptions o;
    o.declare_namespaces_of(::getpid());
    return o;
}

std::string leak_message(const std::vector<pid_t>& container, const LeakOptions& options) {
    ObjHash hash;
    LeakDetector d(hash);
    d.collect(container);
    try {
        d.check_leaks(options);
    } catch (const myrt::Error& e) {
        return e.what();
    }
    return "";
}

class TempFile {
public:
    TempFile() : path_(std::filesystem::temp_directory_path() / fmt::format("crbase-leak-{}-{}", ::getpid(), counter_++)) {
        fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd_ < 0) myrt::throw_errno("create {}", path_.string());
    }
    ~TempFile() {
        close();
        std::filesystem::remove(path_);
    }
    // The test process itself is outside the container: it must let go of the
    // description once the children hold it.
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int fd() const { return fd_; }
    std::string path() const { return path_.string(); }

private:
    static inline int counter_ = 0;
    std::filesystem::path path_;
    int fd_;
};

std::string comm_pid(pid_t pid) { return fmt::format("pid {} (sleep)", pid); }

}  // namespace

TEST(LeakDetection, PassesWhenNothingIsShared) {
    TempFile f;
    SleepingChild inside({{f.fd(), 3}});
    SleepingChild other_inside({});
    SleepingChild outside({});
    // The same file opened separately outside is a different open file description: no leak.
    int again = ::open(f.path().c_str(), O_RDONLY | O_CLOEXEC);
    SleepingChild outside_same_path({{again, 5}});
    ::close(again);
    f.close();
    EXPECT_EQ(leak_message({inside.pid(), other_inside.pid()}, host_namespaces_external()), "");
}

TEST(LeakDetection, CountsReferencesInsideTheContainer) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    SleepingChild a({{p[0], 3}});
    SleepingChild b({{p[1], 4}, {p[1], 5}});
    ::close(p[0]);
    ::close(p[1]);
    ObjHash hash;
    LeakDetector d(hash);
    d.collect({a.pid(), b.pid()});
    struct stat st{};
    ASSERT_EQ(::stat(fmt::format("/proc/{}/fd/3", a.pid()).c_str(), &st), 0);
    Object* pipe = hash.find(ObjectKey{kind::pipe, st.st_dev, st.st_ino, 0});
    ASSERT_NE(pipe, nullptr);
    EXPECT_EQ(pipe->inside_refs, 3u);
    EXPECT_EQ(pipe->name, fmt::format("pipe:[{}]", st.st_ino));
    EXPECT_EQ(pipe->first_holder.pid, a.pid());
    EXPECT_NO_THROW(d.check_leaks(host_namespaces_external())) << "a pipe shared only inside is contained";
}

TEST(LeakDetection, FindsAFileDescriptionSharedWithAnOutsideProcess) {
    TempFile f;
    SleepingChild inside({{f.fd(), 3}});
    SleepingChild outside({{f.fd(), 7}});
    f.close();
    std::string msg = leak_message({inside.pid()}, host_namespaces_external());
    EXPECT_THAT(msg, HasSubstr(fmt::format("leak: {} (fd 3 of pid {} in the container) is also held by {} outside the container, as fd 7",
                                           f.path(), inside.pid(), comm_pid(outside.pid()))));
}

TEST(LeakDetection, FindsAPipeSharedWithAnOutsideProcess) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    SleepingChild inside({{p[0], 3}});
    SleepingChild outside({{p[1], 4}});  // the other end is the same pipe
    struct stat st{};
    ASSERT_EQ(::fstat(p[0], &st), 0);
    ::close(p[0]);
    ::close(p[1]);
    std::string msg = leak_message({inside.pid()}, host_namespaces_external());
    EXPECT_THAT(msg, HasSubstr(fmt::format("leak: pipe:[{}] (fd 3 of pid {} in the container) is also held by {} outside the container, as fd 4",
                                           st.st_ino, inside.pid(), comm_pid(outside.pid()))));
}

TEST(LeakDetection, FindsANamespaceSharedWithAnOutsideProcess) {
    SleepingChild inside({}, [] {
        if (::unshare(CLONE_NEWUTS) != 0) ::_exit(126);
    });
    int uts = ::open(fmt::format("/proc/{}/ns/uts", inside.pid()).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(uts, 0);
    SleepingChild outside({{uts, 3}}, [] {
        if (::setns(3, CLONE_NEWUTS) != 0) ::_exit(126);
        ::close(3);
    });
    ::close(uts);
    struct stat st{};
    ASSERT_EQ(::stat(fmt::format("/proc/{}/ns/uts", inside.pid()).c_str(), &st), 0);
    std::string msg = leak_message({inside.pid()}, host_namespaces_external());
    EXPECT_THAT(msg, HasSubstr(fmt::format("leak: uts:[{}] (its uts namespace of pid {} in the container) is also held by {} outside the container, as its uts namespace",
                                           st.st_ino, inside.pid(), comm_pid(outside.pid()))));
}

TEST(LeakDetection, HostNamespacesLeakUnlessDeclaredExternal) {
    SleepingChild inside({});
    std::string msg = leak_message({inside.pid()}, LeakOptions{});
    EXPECT_THAT(msg, HasSubstr("leak: "));
    EXPECT_THAT(msg, HasSubstr("namespace of pid"));
}

TEST(LeakDetection, DeclaredExternalObjectsAndSubtreeModeAreAllowed) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    SleepingChild inside({{p[0], 3}});
    SleepingChild outside({{p[1], 4}});
    struct stat st{};
    ASSERT_EQ(::fstat(p[0], &st), 0);
    ::close(p[0]);
    ::close(p[1]);
    auto options = host_namespaces_external();
    EXPECT_NE(leak_message({inside.pid()}, options), "");
    options.external_names.insert(fmt::format("pipe:[{}]", st.st_ino));
    EXPECT_EQ(leak_message({inside.pid()}, options), "");

    auto by_pid = host_namespaces_external();
    by_pid.ignore_pids.insert(outside.pid());
    EXPECT_EQ(leak_message({inside.pid()}, by_pid), "");

    LeakOptions subtree;
    subtree.subtree = true;
    EXPECT_EQ(leak_message({inside.pid()}, subtree), "");
}

TEST(LeakDetection, ReverseLeakAndUnvisitedAfterTheCollectPass) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    SleepingChild inside({{p[0], 3}});
    ::close(p[0]);
    ::close(p[1]);
    ObjHash hash;
    LeakDetector d(hash);
    d.collect({inside.pid()});
    d.check_leaks(host_namespaces_external());

    // A pipe created after the collect pass shows up during the dump.
    int late[2];
    ASSERT_EQ(::pipe2(late, O_CLOEXEC), 0);
    struct stat st{};
    ASSERT_EQ(::fstat(late[0], &st), 0);
    ::close(late[0]);
    ::close(late[1]);
    EXPECT_THROW(hash.lookup_or_add(ObjectKey{kind::pipe, st.st_dev, st.st_ino, 0}, "pipe:[late]"), myrt::Error);

    // Everything but one object is dumped: the unvisited check names it.
    auto objects = hash.objects();
    ASSERT_GE(objects.size(), 2u);
    for (size_t i = 1; i < objects.size(); ++i) hash.mark_dumped(objects[i]->objref);
    try {
        hash.check_unvisited();
        ADD_FAILURE() << "unvisited object not reported";
    } catch (const myrt::Error& e) {
        EXPECT_THAT(std::string(e.what()), HasSubstr(objects[0]->name));
    }
    hash.mark_visited(objects[0]->objref);
    EXPECT_NO_THROW(hash.check_unvisited());
}

TEST(LeakDetection, VanishedContainerTaskIsAnError) {
    pid_t gone;
    {
        SleepingChild c({});
        gone = c.pid();
    }
    ObjHash hash;
    LeakDetector d(hash);
    EXPECT_THROW(d.collect({gone}), myrt::Error);
}

namespace {

bool reported(const std::vector<LeakReport>& leaks, uint32_t k, pid_t outside, const std::string& how_prefix) {
    for (const auto& l : leaks)
        if (l.object->key.kind == k && l.outside_pid == outside && l.outside_how.starts_with(how_prefix)) return true;
    return false;
}

int pause_forever(void*) {
    for (;;) ::pause();
    return 0;
}

}  // namespace

TEST(LeakDetection, FindsSharedMemoryMappedOutside) {
    int memfd = static_cast<int>(::syscall(SYS_memfd_create, "crbase-shared", MFD_CLOEXEC));
    ASSERT_GE(memfd, 0);
    ASSERT_EQ(::ftruncate(memfd, 4096), 0);
    // The container task maps the memfd shared; the outside process holds the fd.
    pid_t inside = ::fork();
    ASSERT_GE(inside, 0);
    if (inside == 0) {
        void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
        if (p == MAP_FAILED) ::_exit(1);
        ::close(memfd);
        for (;;) ::pause();
    }
    SleepingChild outside({{memfd, 6}});
    ::close(memfd);
    // Wait until the mapping is visible.
    for (int i = 0; i < 200; ++i) {
        ProcessView v(inside);
        bool mapped = false;
        for (const auto& m : v.maps()) mapped = mapped || m.path.starts_with("/memfd:crbase-shared");
        if (mapped) break;
        ::usleep(10000);
    }
    ObjHash hash;
    LeakDetector d(hash);
    d.collect({inside});
    auto leaks = d.find_leaks(host_namespaces_external());
    ::kill(inside, SIGKILL);
    ::waitpid(inside, nullptr, 0);
    EXPECT_TRUE(reported(leaks, kind::mapping, outside.pid(), "fd 6"));
}

TEST(LeakDetection, FindsAnAddressSpaceSharedWithAnOutsideProcess) {
    // A CLONE_VM child shares this test process's address space: the test
    // process is then an outside task in the container task's mm.
    std::vector<char> stack(64 * 1024);
    pid_t inside = ::clone(pause_forever, stack.data() + stack.size(), CLONE_VM | SIGCHLD, nullptr);
    ASSERT_GT(inside, 0);
    ObjHash hash;
    LeakDetector d(hash);
    d.collect({inside});
    auto leaks = d.find_leaks(host_namespaces_external());
    ::kill(inside, SIGKILL);
    ::waitpid(inside, nullptr, 0);
    EXPECT_TRUE(reported(leaks, kind::mm, ::getpid(), "its address space"));
}

namespace {

// A kind as a later subsystem would add one: it claims socket fds (so the
// generic file kind leaves them alone) and recognises the same socket inode
// held outside.
class TestSocketKind : public KindOps {
public:
    static constexpr uint32_t id_value = 900;
    uint32_t id() const override { return id_value; }
    std::string_view name() const override { return "test socket"; }
    bool claims_fd(const FdEntry& fd) const override { return fd.link.starts_with("socket:["); }
    void collect(ProcessView& task, ObjHash& hash) override {
        for (const FdEntry& fd : task.fds())
            if (claims_fd(fd)) hash.collect(ObjectKey{id(), fd.dev, fd.ino, 0}, fd.link, Holder{task.pid(), fd.fd, fmt::format("fd {}", fd.fd)});
    }
    void find_outside(ProcessView& outside, ObjHash& hash, const OutsideReport& report) override {
        for (const FdEntry& fd : outside.fds())
            if (Object* obj = hash.find(ObjectKey{id(), fd.dev, fd.ino, 0})) report(*obj, fmt::format("fd {}", fd.fd));
    }
};

}  // namespace

TEST(LeakDetection, NewObjectKindsPlugIntoTheRegistry) {
    KindRegistry registry;
    register_builtin_kinds(registry);
    registry.add(std::make_unique<TestSocketKind>());
    EXPECT_THROW(registry.add(std::make_unique<TestSocketKind>()), myrt::Error) << "duplicate kind id";

    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    SleepingChild inside({{sv[0], 3}});
    SleepingChild outside({{sv[0], 4}});
    ::close(sv[0]);
    ::close(sv[1]);

    ObjHash hash;
    LeakDetector d(hash, registry);
    d.collect({inside.pid()});
    size_t sockets = 0, files_on_sockets = 0;
    for (const Object* o : hash.objects()) {
        sockets += o->key.kind == TestSocketKind::id_value;
        files_on_sockets += o->key.kind == kind::file && o->name.starts_with("socket:[");
    }
    EXPECT_EQ(sockets, 1u);
    EXPECT_EQ(files_on_sockets, 0u) << "the file kind must leave claimed fds to their kind";
    auto leaks = d.find_leaks(host_namespaces_external());
    EXPECT_TRUE(reported(leaks, TestSocketKind::id_value, outside.pid(), "fd 4"));
}
