// The mount option table against the kernel: the flags parse_mount_flags
// produces are accepted by mount(2) and mount_setattr(2) and have the effect
// their names promise, on submounts too. Runs in a private mount namespace.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "spec/mount_options.hpp"

using namespace myrt::spec;

namespace {

// Runs fn in a child with its own mount namespace; returns its exit code
// (0 = all checks passed, other values name the failed step).
int in_private_mount_ns(const std::function<int(const std::string&)>& fn) {
    char tmpl[] = "/tmp/myrt-spec-mnt-XXXXXX";
    if (!mkdtemp(tmpl)) return 200;
    std::string dir = tmpl;
    pid_t pid = fork();
    if (pid == 0) {
        int rc = 201;
        if (unshare(CLONE_NEWNS) == 0 && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) {
            try {
                rc = fn(dir);
            } catch (...) {
                rc = 202;
            }
        }
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    rmdir(dir.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A tmpfs at dir with a second tmpfs at dir/sub: recursive options must reach sub.
bool make_tree(const std::string& dir) {
    if (mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m") != 0) return false;
    std::string sub = dir + "/sub";
    return mkdir(sub.c_str(), 0755) == 0 && mount("tmpfs", sub.c_str(), "tmpfs", 0, "size=1m") == 0;
}

bool apply_recursive(const std::string& dir, const MountFlags& f) {
    mount_attr attr{};
    attr.attr_set = f.attr_set;
    attr.attr_clr = f.attr_clr;
    return mount_setattr(AT_FDCWD, dir.c_str(), AT_RECURSIVE, &attr, sizeof attr) == 0;
}

unsigned long vfs_flags(const std::string& path) {
    struct statvfs st {};
    if (statvfs(path.c_str(), &st) != 0) return ~0UL;
    return st.f_flag;
}

}  // namespace

TEST(MountFlags, FoldsOptionsInOrder) {
    auto f = parse_mount_flags({"nosuid", "ro", "mode=755", "rw", "size=64k", "rprivate", "rbind"});
    EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_NOSUID | MS_BIND | MS_REC));
    EXPECT_EQ(f.clear_flags, static_cast<unsigned long>(MS_RDONLY));
    EXPECT_EQ(f.data, "mode=755,size=64k");
    ASSERT_EQ(f.propagation.size(), 1u);
    EXPECT_EQ(f.propagation[0], static_cast<unsigned long>(MS_PRIVATE | MS_REC));
    EXPECT_TRUE(f.bind());
    EXPECT_FALSE(f.recursive());
    auto r = parse_mount_flags({"rro", "rnoatime", "rrw", "rstrictatime"});
    EXPECT_EQ(r.attr_set, uint64_t{MOUNT_ATTR_STRICTATIME});
    EXPECT_EQ(r.attr_clr, uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME});
    EXPECT_TRUE(r.recursive());
}

TEST(MountFlags, PlainFlagsTakeEffect) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for a private mount namespace";
    int rc = in_private_mount_ns([](const std::string& dir) {
        auto f = parse_mount_flags({"nosuid", "noexec", "nodev", "mode=700", "size=1m", "ro"});
        if (mount("tmpfs", dir.c_str(), "tmpfs", f.flags, f.data.c_str()) != 0) return 1;
        unsigned long got = vfs_flags(dir);
        if ((got & (ST_NOSUID | ST_NOEXEC | ST_NODEV | ST_RDONLY)) != (ST_NOSUID | ST_NOEXEC | ST_NODEV | ST_RDONLY))
            return 2;
        struct stat st {};
        if (stat(dir.c_str(), &st) != 0 || (st.st_mode & 0777) != 0700) return 3;
        return 0;
    });
    EXPECT_EQ(rc, 0);
}

TEST(MountFlags, RecursiveFlagsReachSubmounts) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for a private mount namespace";
    int rc = in_private_mount_ns([](const std::string& dir) {
        if (!make_tree(dir)) return 1;
        if (!apply_recursive(dir, parse_mount_flags({"rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime"}))) return 2;
        unsigned long want = ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NODIRATIME;
        if ((vfs_flags(dir + "/sub") & want) != want) return 3;
        if (!apply_recursive(dir, parse_mount_flags({"rrw", "rsuid", "rdev", "rexec", "rdiratime"}))) return 4;
        if ((vfs_flags(dir + "/sub") & want) != 0) return 5;
        return 0;
    });
    EXPECT_EQ(rc, 0);
}

TEST(MountFlags, RecursiveAtimeModesAreAcceptedAndApplied) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for a private mount namespace";
    int rc = in_private_mount_ns([](const std::string& dir) {
        if (!make_tree(dir)) return 1;
        std::string sub = dir + "/sub";
        if (!apply_recursive(dir, parse_mount_flags({"rnoatime"}))) return 2;
        if (!(vfs_flags(sub) & ST_NOATIME)) return 3;
        if (!apply_recursive(dir, parse_mount_flags({"ratime"}))) return 4;
        if ((vfs_flags(sub) & ST_NOATIME) || !(vfs_flags(sub) & ST_RELATIME)) return 5;
        if (!apply_recursive(dir, parse_mount_flags({"rstrictatime"}))) return 6;
        if (vfs_flags(sub) & (ST_NOATIME | ST_RELATIME)) return 7;
        for (auto name : {"rrelatime", "rnorelatime", "rnostrictatime"})
            if (!apply_recursive(dir, parse_mount_flags({name}))) return 8;
        return 0;
    });
    EXPECT_EQ(rc, 0);
}
