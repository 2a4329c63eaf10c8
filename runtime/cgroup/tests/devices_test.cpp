#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup/cgroupfs.hpp"
#include "runtime/cgroup/devices.hpp"
#include "runtime/cgroup/tests/cgroup_test_util.hpp"
#include "util/error.hpp"

using namespace myrt::cgroup;
using namespace myrt::cgroup::testing;
namespace cfs = myrt::cgroup::fs;

namespace {

// Forks a child that waits until it has been placed in `cg`, then reports which of the devices
// it could open for reading and writing: bit 0 /dev/null, bit 1 /dev/zero, bit 2 /dev/full.
int probe_devices(Cgroup& cg, int open_flags = O_RDWR) {
    int go[2];
    if (::pipe(go) < 0) myrt::throw_errno("pipe");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(go[1]);
        char c;
        if (::read(go[0], &c, 1) != 1) ::_exit(100);
        int mask = 0, bit = 0;
        for (const char* dev : {"/dev/null", "/dev/zero", "/dev/full"}) {
            int fd = ::open(dev, open_flags | O_CLOEXEC);
            if (fd >= 0) {
                mask |= 1 << bit;
                ::close(fd);
            }
            ++bit;
        }
        ::_exit(mask);
    }
    ::close(go[0]);
    cg.add_process(pid);
    (void)!::write(go[1], "g", 1);
    ::close(go[1]);
    int status = reap(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) >= 100) myrt::fail("device probe child failed: {:#x}", status);
    return WEXITSTATUS(status);
}

std::vector<myrt::spec::DeviceCgroupRule> deny_all_but_null() {
    return {{false, "a", std::nullopt, std::nullopt, "rwm"}, {true, "c", 1, 3, "rwm"}};
}

}  // namespace

class Devices : public CgroupTest {};

TEST_F(Devices, RuleStrings) {
    EXPECT_EQ(device_rule_string({true, "", std::nullopt, std::nullopt, ""}, 0), "a *:* rwm");
    EXPECT_EQ(device_rule_string({true, "c", 1, std::nullopt, "r"}, 0), "c 1:* r");
    EXPECT_EQ(device_rule_string({false, "b", 8, 0, "mw"}, 0), "b 8:0 mw");
    EXPECT_THROW(device_rule_string({true, "c", -5, 0, "r"}, 0), myrt::Error);
}

TEST_F(Devices, V1RulesAreEnforced) {
    cg_.create();
    if (!cg_.has_controller("devices") || cg_.path_in("devices") == cg_.unified_dir()) GTEST_SKIP() << "no v1 devices";
    myrt::spec::Resources r;
    r.devices = deny_all_but_null();
    cg_.apply(r);
    EXPECT_EQ(probe_devices(cg_), 0b001);
    // An update that also allows /dev/zero for reading only.
    r.devices.push_back({true, "c", 1, 5, "r"});
    cg_.apply(r);
    EXPECT_EQ(probe_devices(cg_, O_RDONLY), 0b011);
    EXPECT_EQ(probe_devices(cg_, O_RDWR), 0b001);
}

TEST_F(Devices, V2FilterIsEnforcedAndReplacedOnUpdate) {
    if (detect_layout() == Layout::v1) GTEST_SKIP() << "no v2 hierarchy";
    auto v2 = v2_view("v2dev");
    v2.create();
    myrt::spec::Resources r;
    r.devices = deny_all_but_null();
    v2.apply(r);  // no v1 devices controller in this view: an eBPF program
    EXPECT_EQ(probe_devices(v2), 0b001);

    r.devices.push_back({true, "c", 1, 5, "r"});  // /dev/zero read-only
    r.devices.push_back({false, "c", 1, 3, "w"});  // and /dev/null no longer writable
    v2.apply(r);
    EXPECT_EQ(probe_devices(v2, O_RDONLY), 0b011);
    EXPECT_EQ(probe_devices(v2, O_RDWR), 0b000);

    // Back to allow-all: the old programs must be gone, or they would still deny.
    r.devices = {{true, "a", std::nullopt, std::nullopt, "rwm"}};
    v2.apply(r);
    EXPECT_EQ(probe_devices(v2), 0b111);
}

TEST_F(Devices, DefaultRulesAllowTheStandardDevices) {
    if (detect_layout() == Layout::v1) GTEST_SKIP() << "no v2 hierarchy";
    auto v2 = v2_view("v2defaults");
    v2.create();
    myrt::spec::Resources r;
    r.devices = {{false, "a", std::nullopt, std::nullopt, "rwm"}};
    for (auto& d : default_device_rules()) r.devices.push_back(d);
    v2.apply(r);
    EXPECT_EQ(probe_devices(v2), 0b111);
}

TEST_F(Devices, V1UpdateOfARunningContainerFreezesAndThaws) {
    cg_.create();
    if (!cg_.has_controller("devices") || cg_.path_in("devices") == cg_.unified_dir()) GTEST_SKIP() << "no v1 devices";
    myrt::spec::Resources r;
    r.devices = deny_all_but_null();
    cg_.apply(r);
    pid_t pid = track(children_, spawn_sleeper());
    cg_.add_process(pid);
    r.devices.push_back({true, "c", 1, 5, "rwm"});
    cg_.apply(r);
    EXPECT_EQ(cg_.freezer_state(), FreezerState::thawed);
    EXPECT_NE(cfs::read(cg_.path_in("devices"), "devices.list").find("c 1:5 rwm"), std::string::npos);
    // A paused container stays paused through an update.
    cg_.freeze();
    cg_.apply(r);
    EXPECT_EQ(cg_.freezer_state(), FreezerState::frozen);
    cg_.thaw();
}
