// The shared name tables: namespaces, rlimits, seccomp vocabulary, mount options.
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "spec/linux_names.hpp"
#include "spec/mount_options.hpp"
#include "spec/seccomp_names.hpp"

using namespace myrt::spec;

TEST(Names, NamespaceFlagsAndProcNames) {
    EXPECT_EQ(namespace_clone_flag("pid"), CLONE_NEWPID);
    EXPECT_EQ(namespace_clone_flag("network"), CLONE_NEWNET);
    EXPECT_EQ(namespace_clone_flag("mount"), CLONE_NEWNS);
    EXPECT_EQ(namespace_clone_flag("user"), CLONE_NEWUSER);
    EXPECT_EQ(namespace_clone_flag("time"), 0x80);
    EXPECT_FALSE(namespace_clone_flag("net"));
    EXPECT_EQ(namespace_proc_name("network"), "net");
    EXPECT_EQ(namespace_proc_name("mount"), "mnt");
    EXPECT_EQ(namespace_proc_name("cgroup"), "cgroup");
    EXPECT_EQ(namespace_type_names().size(), 8u);
}

TEST(Names, RlimitTable) {
    EXPECT_EQ(rlimit_resource("RLIMIT_NOFILE"), RLIMIT_NOFILE);
    EXPECT_EQ(rlimit_resource("RLIMIT_RTTIME"), RLIMIT_RTTIME);
    EXPECT_EQ(rlimit_resource("RLIMIT_AS"), RLIMIT_AS);
    EXPECT_FALSE(rlimit_resource("NOFILE"));
    EXPECT_EQ(rlimit_names().size(), static_cast<size_t>(RLIMIT_NLIMITS));
}

TEST(Names, SeccompArchNamesResolveInLibseccomp) {
    EXPECT_EQ(libseccomp_arch_name("SCMP_ARCH_X86_64"), "x86_64");
    EXPECT_EQ(libseccomp_arch_name("SCMP_ARCH_MIPSEL64N32"), "mipsel64n32");
    EXPECT_EQ(seccomp_arch_resolve_name(libseccomp_arch_name("SCMP_ARCH_X86_64").c_str()), SCMP_ARCH_X86_64);
    EXPECT_EQ(seccomp_arch_resolve_name(libseccomp_arch_name("SCMP_ARCH_AARCH64").c_str()), SCMP_ARCH_AARCH64);
    EXPECT_TRUE(is_known(seccomp_action_names(), "SCMP_ACT_KILL_THREAD"));
    EXPECT_FALSE(is_known(seccomp_action_names(), "SCMP_ACT_DENY"));
    EXPECT_EQ(seccomp_operator_names().size(), 7u);
    EXPECT_EQ(seccomp_flag_names().size(), 4u);
}

TEST(MountOptions, FlagsAndKinds) {
    auto ro = find_mount_option("ro");
    ASSERT_NE(ro, nullptr);
    EXPECT_EQ(ro->kind, MountOptionKind::set_flag);
    EXPECT_EQ(ro->flag, static_cast<unsigned long>(MS_RDONLY));
    auto rw = find_mount_option("rw");
    ASSERT_NE(rw, nullptr);
    EXPECT_EQ(rw->kind, MountOptionKind::clear_flag);
    EXPECT_EQ(find_mount_option("rbind")->flag, static_cast<unsigned long>(MS_BIND | MS_REC));
    EXPECT_EQ(find_mount_option("rprivate")->kind, MountOptionKind::propagation);
    EXPECT_EQ(find_mount_option("rprivate")->flag, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
    EXPECT_EQ(find_mount_option("rro")->kind, MountOptionKind::recursive_set);
    EXPECT_EQ(find_mount_option("rro")->flag, static_cast<unsigned long>(MOUNT_ATTR_RDONLY));
    EXPECT_EQ(find_mount_option("defaults")->flag, 0u);
    // Filesystem data is not a flag.
    EXPECT_EQ(find_mount_option("mode=755"), nullptr);
    EXPECT_EQ(find_mount_option("size=65536k"), nullptr);
    EXPECT_EQ(find_mount_option("tmpcopyup"), nullptr);
}

TEST(MountOptions, EveryFlagOptionHasItsOpposite) {
    for (auto& name : mount_option_names()) {
        auto option = find_mount_option(name);
        ASSERT_NE(option, nullptr) << name;
        if (option->kind == MountOptionKind::set_flag && option->flag != 0 && name != "remount" && name != "dirsync" &&
            name != "bind" && name != "rbind") {
            bool has_clear = false;
            for (auto& other : mount_option_names()) {
                auto o = find_mount_option(other);
                has_clear |= o->kind == MountOptionKind::clear_flag && o->flag == option->flag;
            }
            EXPECT_TRUE(has_clear) << name;
        }
    }
}
