#include "runtime/cgroup/devices.hpp"

#include "runtime/cgroup/cgroup.hpp"
#include "util/error.hpp"

namespace myrt::cgroup {

std::string device_rule_string(const spec::DeviceCgroupRule& rule, size_t index) {
    std::string type = rule.type.empty() ? "a" : rule.type;
    if (type != "a" && type != "c" && type != "b")
        fail("linux.resources.devices[{}].type \"{}\" must be a, c or b", index, rule.type);
    std::string access = rule.access.empty() ? "rwm" : rule.access;
    for (char c : access)
        if (c != 'r' && c != 'w' && c != 'm')
            fail("linux.resources.devices[{}].access \"{}\" may only hold r, w and m", index, rule.access);
    auto number = [&](const std::optional<int64_t>& v, const char* what) -> std::string {
        if (!v || *v == -1) return "*";
        if (*v < 0 || *v > 0xffffffffLL) fail("linux.resources.devices[{}].{} {} is out of range", index, what, *v);
        return std::to_string(*v);
    };
    return fmt::format("{} {}:{} {}", type, number(rule.major, "major"), number(rule.minor, "minor"), access);
}

std::vector<spec::DeviceCgroupRule> default_device_rules() {
    auto chr = [](std::optional<int64_t> major, std::optional<int64_t> minor, const char* access = "rwm") {
        return spec::DeviceCgroupRule{true, "c", major, minor, access};
    };
    return {
        chr(std::nullopt, std::nullopt, "m"),  // mknod of any char device (not its use)
        spec::DeviceCgroupRule{true, "b", std::nullopt, std::nullopt, "m"},
        chr(1, 3),    // /dev/null
        chr(1, 8),    // /dev/random
        chr(1, 7),    // /dev/full
        chr(5, 0),    // /dev/tty
        chr(1, 5),    // /dev/zero
        chr(1, 9),    // /dev/urandom
        chr(5, 1),    // /dev/console
        chr(136, std::nullopt),  // /dev/pts/*
        chr(5, 2),    // /dev/ptmx
        chr(10, 200),  // /dev/net/tun
    };
}

}  // namespace myrt::cgroup
