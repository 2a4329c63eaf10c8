#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cgroup/tests/cgroup_test_util.hpp"
#include "util/error.hpp"

using namespace myrt::cgroup;
using namespace myrt::cgroup::testing;
namespace cfs = myrt::cgroup::fs;

namespace {

std::string file_in(const Cgroup& cg, const std::string& controller, const std::string& name) {
    return cfs::trim(cfs::read(cg.path_in(controller), name));
}

// Expects `fn` to throw a myrt::Error whose message holds every needle.
template <class F>
void expect_error(F fn, std::initializer_list<std::string> needles) {
    try {
        fn();
        ADD_FAILURE() << "no error";
    } catch (const myrt::Error& e) {
        for (auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << "missing \"" << n << "\" in: " << e.what();
    }
}

}  // namespace

class Resources : public CgroupTest {};

TEST_F(Resources, CreateMakesEveryHierarchyAndIsIdempotent) {
    EXPECT_FALSE(cg_.exists());
    cg_.create();
    cg_.create();
    EXPECT_TRUE(cg_.exists());
    for (auto& h : cg_.v1_hierarchies()) {
        EXPECT_TRUE(cfs::dir_exists(h.dir)) << h.dir;
    }
    if (cg_.layout() != Layout::v1) {
        EXPECT_TRUE(cfs::dir_exists(cg_.unified_dir()));
    }
    // v1 cpuset: cpus and mems copied down from the root, or no task could join.
    if (cg_.layout() != Layout::v2) {
        EXPECT_EQ(file_in(cg_, "cpuset", "cpuset.cpus"), cfs::trim(cfs::read("/sys/fs/cgroup/cpuset", "cpuset.cpus")));
        EXPECT_FALSE(file_in(cg_, "cpuset", "cpuset.mems").empty());
    }
}

TEST_F(Resources, MemoryLimitsReadBack) {
    cg_.create();
    myrt::spec::Resources r;
    r.memory = myrt::spec::MemoryResources{};
    r.memory->limit = 64 << 20;
    r.memory->swap = 128 << 20;
    r.memory->reservation = 32 << 20;
    r.memory->swappiness = 10;
    r.memory->disable_oom_killer = true;
    cg_.apply(r);
    if (!cfs::exists(cg_.path_in("memory"), "memory.limit_in_bytes")) GTEST_SKIP() << "assertions are for v1 memory files";
    EXPECT_EQ(file_in(cg_, "memory", "memory.limit_in_bytes"), std::to_string(64 << 20));
    EXPECT_EQ(file_in(cg_, "memory", "memory.memsw.limit_in_bytes"), std::to_string(128 << 20));
    EXPECT_EQ(file_in(cg_, "memory", "memory.soft_limit_in_bytes"), std::to_string(32 << 20));
    EXPECT_EQ(file_in(cg_, "memory", "memory.swappiness"), "10");
    EXPECT_NE(file_in(cg_, "memory", "memory.oom_control").find("oom_kill_disable 1"), std::string::npos);

    // Raising the limit above the current memsw needs memsw written first; lowering, the reverse.
    r.memory = myrt::spec::MemoryResources{};
    r.memory->limit = 512 << 20;
    r.memory->swap = 1024 << 20;
    cg_.apply(r);
    EXPECT_EQ(file_in(cg_, "memory", "memory.limit_in_bytes"), std::to_string(512 << 20));
    r.memory->limit = 16 << 20;
    r.memory->swap = 16 << 20;
    cg_.apply(r);
    EXPECT_EQ(file_in(cg_, "memory", "memory.memsw.limit_in_bytes"), std::to_string(16 << 20));
    r.memory->limit = -1;
    r.memory->swap = -1;
    cg_.apply(r);
    int64_t unlimited = cfs::read_int(cg_.path_in("memory"), "memory.limit_in_bytes");
    EXPECT_TRUE(unlimited == -1 || unlimited > (int64_t{1} << 50)) << unlimited;
}

TEST_F(Resources, CpuCpusetAndPidsReadBack) {
    cg_.create();
    myrt::spec::Resources r;
    r.cpu = myrt::spec::CpuResources{};
    r.cpu->shares = 512;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    r.cpu->cpus = "0";
    r.cpu->mems = "0";
    r.pids = myrt::spec::PidsResources{42};
    cg_.apply(r);
    EXPECT_EQ(file_in(cg_, "cpu", "cpu.shares"), "512");
    EXPECT_EQ(file_in(cg_, "cpu", "cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(file_in(cg_, "cpu", "cpu.cfs_period_us"), "100000");
    EXPECT_EQ(file_in(cg_, "cpuset", "cpuset.cpus"), "0");
    EXPECT_EQ(file_in(cg_, "cpuset", "cpuset.mems"), "0");
    EXPECT_EQ(file_in(cg_, "pids", "pids.max"), "42");
    // A period shorter than the kernel's minimum next to a quota: written in an order that works.
    r.cpu = myrt::spec::CpuResources{};
    r.cpu->quota = 20000;
    r.cpu->period = 20000;
    cg_.apply(r);
    EXPECT_EQ(file_in(cg_, "cpu", "cpu.cfs_period_us"), "20000");
    r.pids->limit = -1;
    cg_.apply(r);
    EXPECT_EQ(file_in(cg_, "pids", "pids.max"), "max");
}

TEST_F(Resources, BlkioWeightReadsBack) {
    cg_.create();
    std::string dir = cg_.path_in("blkio");
    if (!cfs::exists(dir, "blkio.weight") && !cfs::exists(dir, "blkio.bfq.weight"))
        GTEST_SKIP() << "host has no blkio weight file (no disk uses the BFQ scheduler): " << dir;
    myrt::spec::Resources r;
    r.block_io = myrt::spec::BlockIoResources{};
    r.block_io->weight = 500;
    cg_.apply(r);
    std::string file = cfs::exists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
    EXPECT_EQ(cfs::trim(cfs::read(dir, file)), "500");
}

TEST_F(Resources, BlkioWeightWithoutSchedulerSupportIsAClearError) {
    cg_.create();
    std::string dir = cg_.path_in("blkio");
    if (cfs::exists(dir, "blkio.weight") || cfs::exists(dir, "blkio.bfq.weight"))
        GTEST_SKIP() << "host can set blkio weights: the refusal cannot be shown here";
    myrt::spec::Resources r;
    r.block_io = myrt::spec::BlockIoResources{};
    r.block_io->weight = 500;
    try {
        cg_.apply(r);
        FAIL() << "a weight the host cannot set was accepted";
    } catch (const myrt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("blockIO weights cannot be set"), std::string::npos) << e.what();
    }
}

TEST_F(Resources, DevicesV1ReadBack) {
    cg_.create();
    myrt::spec::Resources r;
    r.devices.push_back({false, "", std::nullopt, std::nullopt, "rwm"});
    r.devices.push_back({true, "c", 1, 3, "rw"});
    r.devices.push_back({true, "c", 136, std::nullopt, "rwm"});
    cg_.apply(r);
    std::string list = cfs::read(cg_.path_in("devices"), "devices.list");
    EXPECT_NE(list.find("c 1:3 rw"), std::string::npos) << list;
    EXPECT_NE(list.find("c 136:* rwm"), std::string::npos) << list;
    EXPECT_EQ(list.find("a *:* rwm"), std::string::npos) << list;
}

TEST_F(Resources, HugetlbGoesWhereTheControllerIs) {
    cg_.create();
    if (!cg_.has_controller("hugetlb")) GTEST_SKIP() << "no hugetlb controller";
    std::string dir = cg_.path_in("hugetlb");
    bool v2 = dir == cg_.unified_dir();
    std::string file = v2 ? "hugetlb.2MB.max" : "hugetlb.2MB.limit_in_bytes";
    if (!cfs::exists(dir, file)) GTEST_SKIP() << "no 2MB huge pages";
    myrt::spec::Resources r;
    r.hugepage_limits.push_back({"2MB", 4 << 20});
    cg_.apply(r);
    EXPECT_EQ(cfs::trim(cfs::read(dir, file)), std::to_string(4 << 20));
    r.hugepage_limits = {{"3MB", 1}};
    expect_error([&] { cg_.apply(r); }, {"3MB"});
    r.hugepage_limits = {{"../2MB", 1}};
    expect_error([&] { cg_.apply(r); }, {"../2MB"});
}

TEST_F(Resources, UnifiedKeysAreWrittenVerbatimAndValidated) {
    cg_.create();
    if (cg_.layout() == Layout::v1) GTEST_SKIP() << "no v2 hierarchy";
    myrt::spec::Resources r;
    r.unified["cgroup.max.descendants"] = "5";
    cg_.apply(r);
    EXPECT_EQ(cfs::trim(cfs::read(cg_.unified_dir(), "cgroup.max.descendants")), "5");
    r.unified = {{"../cgroup.procs", "1"}};
    expect_error([&] { cg_.apply(r); }, {"../cgroup.procs"});
    r.unified = {{"cgroup.max.depth/x", "1"}};
    expect_error([&] { cg_.apply(r); }, {"cgroup.max.depth/x"});
    r.unified = {{"cgroup.max.depth", "banana"}};
    expect_error([&] { cg_.apply(r); }, {"cgroup.max.depth", "banana"});
    if (cg_.layout() == Layout::hybrid) {
        r.unified = {{"memory.max", "1G"}};
        expect_error([&] { cg_.apply(r); }, {"memory.max", "memory controller"});
    }
}

TEST_F(Resources, RejectedValuesNameTheFileAndValue) {
    cg_.create();
    myrt::spec::Resources r;
    r.cpu = myrt::spec::CpuResources{};
    r.cpu->cpus = "99";
    expect_error([&] { cg_.apply(r); }, {"cpuset.cpus", "\"99\""});
    r.cpu = myrt::spec::CpuResources{};
    r.cpu->shares = 1;  // the kernel silently clamps it to 2
    expect_error([&] { cg_.apply(r); }, {"cpu.shares", "1"});
    r.cpu = myrt::spec::CpuResources{};
    r.cpu->quota = 500;  // below the 1 ms minimum
    expect_error([&] { cg_.apply(r); }, {"cpu.cfs_quota_us", "500"});
    r.cpu.reset();
    r.memory = myrt::spec::MemoryResources{};
    r.memory->swappiness = 200;
    expect_error([&] { cg_.apply(r); }, {"swappiness", "200"});
    r.memory = myrt::spec::MemoryResources{};
    r.memory->limit = 64 << 20;
    r.memory->swap = 32 << 20;  // memory+swap below memory
    expect_error([&] { cg_.apply(r); }, {"memory.memsw.limit_in_bytes", std::to_string(32 << 20)});
    r.memory.reset();
    r.devices = {{true, "x", 1, 3, "rwm"}};
    expect_error([&] { cg_.apply(r); }, {"devices[0].type", "\"x\""});
    r.devices = {{true, "c", 1, 3, "rwz"}};
    expect_error([&] { cg_.apply(r); }, {"devices[0].access", "rwz"});
}

TEST_F(Resources, MemoryLimitBelowUsageIsBusy) {
    cg_.create();
    if (cg_.layout() == Layout::v2) GTEST_SKIP() << "v2 OOM-kills instead of refusing";
    // The child joins first, then touches 32 MiB, so the pages are charged to the test cgroup.
    int go[2], ready[2];
    ASSERT_EQ(::pipe(go), 0);
    ASSERT_EQ(::pipe(ready), 0);
    pid_t pid = track(children_, ::fork());
    if (pid == 0) {
        char c;
        if (::read(go[0], &c, 1) != 1) ::_exit(1);
        size_t len = 32 << 20;
        void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        std::memset(p, 1, len);
        (void)!::write(ready[1], "r", 1);
        for (;;) ::pause();
    }
    cg_.add_process(pid);
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    for (int fd : {go[0], go[1], ready[0], ready[1]}) ::close(fd);
    myrt::spec::Resources r;
    r.memory = myrt::spec::MemoryResources{};
    r.memory->limit = 4 << 20;
    try {
        cg_.apply(r);
        // Without swap the anonymous pages cannot be reclaimed, so this must fail.
        std::string swaps = read_file("/proc/swaps");
        if (swaps.find('\n') == swaps.size() - 1)
            ADD_FAILURE() << "a limit below usage was accepted";
    } catch (const myrt::SystemError& e) {
        EXPECT_EQ(e.code(), EBUSY);
        std::string msg = e.what();
        EXPECT_NE(msg.find("memory.limit_in_bytes"), std::string::npos) << msg;
        EXPECT_NE(msg.find(std::to_string(4 << 20)), std::string::npos) << msg;
        EXPECT_NE(msg.find("already uses more memory"), std::string::npos) << msg;
    }
}
