#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cgroup/tests/cgroup_test_util.hpp"
#include "util/error.hpp"

using namespace myrt::cgroup;
using namespace myrt::cgroup::testing;
namespace cfs = myrt::cgroup::fs;

namespace {

// A private mount namespace with a fresh directory for the tree, all in the forked child.
std::string private_target() {
    if (::unshare(CLONE_NEWNS) < 0) myrt::throw_errno("unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) myrt::throw_errno("make / private");
    // A tmpfs over /tmp first, in this namespace only: the directory is made inside it, so
    // nothing is left in the host's /tmp (a mkdtemp there outlived every run).
    if (::mount("tmpfs", "/tmp", "tmpfs", 0, nullptr) < 0) myrt::throw_errno("tmpfs on /tmp");
    char tmpl[] = "/tmp/myrt-cgmount-XXXXXX";
    if (!::mkdtemp(tmpl)) myrt::throw_errno("mkdtemp");
    std::string target = std::string(tmpl) + "/cgroup";
    cfs::mkdir_p(target);
    return target;
}

void require(bool ok, const std::string& what) {
    if (!ok) myrt::fail("{}", what);
}

bool contains_pid(const std::string& procs, pid_t pid) {
    for (auto& line : cfs::split(procs, '\n'))
        if (line == std::to_string(pid)) return true;
    return false;
}

}  // namespace

class MountTree : public CgroupTest {};

TEST_F(MountTree, BindsTheContainersOwnCgroupsReadOnly) {
    cg_.create();
    auto cg = cg_;
    auto err = in_child([&] {
        cg.add_process(::getpid());
        std::string target = private_target();
        mount_cgroup_tree(target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, false, cg);
        for (auto& h : cg.v1_hierarchies()) {
            std::string name = h.mount_point.substr(h.mount_point.find_last_of('/') + 1);
            std::string sub = cfs::join(target, name);
            // The container sees its own cgroup at the top, not the host's tree.
            require(contains_pid(cfs::read(sub, "cgroup.procs"), ::getpid()), sub + " does not show the container's cgroup");
            require(!cfs::dir_exists(cfs::join(sub, cg.cgroups_path())), sub + " shows the host's tree");
        }
        require(cfs::exists(cfs::join(target, "memory"), "memory.limit_in_bytes"), "memory files missing");
        if (cg.layout() == Layout::hybrid)
            require(contains_pid(cfs::read(cfs::join(target, "unified"), "cgroup.procs"), ::getpid()), "unified missing");
        // Read-only everywhere: the tmpfs and every hierarchy.
        require(::mkdir(cfs::join(target, "new").c_str(), 0755) < 0 && errno == EROFS, "tmpfs is writable");
        try {
            cfs::write(cfs::join(target, "pids"), "pids.max", "10");
            myrt::fail("pids.max was writable through a read-only mount");
        } catch (const myrt::SystemError& e) {
            require(e.code() == EROFS, std::string("expected EROFS: ") + e.what());
        }
    });
    EXPECT_EQ(err, "");
}

TEST_F(MountTree, MountsFreshHierarchiesInACgroupNamespace) {
    cg_.create();
    auto cg = cg_;
    auto err = in_child([&] {
        cg.add_process(::getpid());
        if (::unshare(CLONE_NEWCGROUP) < 0) myrt::throw_errno("unshare(CLONE_NEWCGROUP)");
        std::string target = private_target();
        mount_cgroup_tree(target, 0, true, cg);
        for (auto& h : cg.v1_hierarchies()) {
            std::string name = h.mount_point.substr(h.mount_point.find_last_of('/') + 1);
            std::string sub = cfs::join(target, name);
            require(contains_pid(cfs::read(sub, "cgroup.procs"), ::getpid()), sub + " is not rooted at the container's cgroup");
        }
        if (cg.layout() == Layout::hybrid)
            require(contains_pid(cfs::read(cfs::join(target, "unified"), "cgroup.procs"), ::getpid()), "unified not rooted");
        // Writable without MS_RDONLY: the container may make sub-cgroups of its own.
        cfs::mkdir_p(cfs::join(target, "pids/inner"));
        ::rmdir(cfs::join(target, "pids/inner").c_str());
    });
    EXPECT_EQ(err, "");
}

TEST_F(MountTree, CopiesTheHostsSymlinksAndCoMountNames) {
    cg_.create();
    auto cg = cg_;
    auto err = in_child([&] {
        cg.add_process(::getpid());
        std::string target = private_target();
        mount_cgroup_tree(target, 0, false, cg);
        for (auto& h : cg.v1_hierarchies()) {
            if (h.controllers.size() < 2) continue;
            std::string name = h.mount_point.substr(h.mount_point.find_last_of('/') + 1);
            for (auto& c : h.controllers) {
                if (c == name) continue;
                char buf[256];
                ssize_t n = ::readlink(cfs::join(target, c).c_str(), buf, sizeof buf);
                require(n > 0 && std::string(buf, n) == name, c + " is not a link to " + name);
            }
        }
        DIR* d = ::opendir("/sys/fs/cgroup");
        require(d != nullptr, "opendir /sys/fs/cgroup");
        while (auto* e = ::readdir(d)) {
            if (e->d_type != DT_LNK) continue;
            struct stat st;
            require(::lstat(cfs::join(target, e->d_name).c_str(), &st) == 0 && S_ISLNK(st.st_mode),
                    std::string("host symlink ") + e->d_name + " not copied");
        }
        ::closedir(d);
    });
    EXPECT_EQ(err, "");
}

TEST_F(MountTree, RejectsARelativeTarget) {
    EXPECT_THROW(mount_cgroup_tree("relative/path", 0, false, cg_), myrt::Error);
    EXPECT_THROW(mount_cgroup_tree("/nonexistent/myrt/target", 0, false, cg_), myrt::Error);
}
