#include "runtime/device_rules.hpp"

#include "runtime/devices.hpp"

namespace myrt::runtime {

std::vector<spec::DeviceCgroupRule> default_device_rules(const std::vector<spec::Device>& devices) {
    auto rule = [](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor, const char* access) {
        spec::DeviceCgroupRule r;
        r.allow = true;
        r.type = type;
        r.major = major;
        r.minor = minor;
        r.access = access;
        return r;
    };
    std::vector<spec::DeviceCgroupRule> rules = {
        rule("c", std::nullopt, std::nullopt, "m"),  // mknod of any char device (access is still checked)
        rule("b", std::nullopt, std::nullopt, "m"),
        rule("c", 5, 2, "rwm"),                      // /dev/ptmx
        rule("c", 136, std::nullopt, "rwm"),         // /dev/pts/*
        rule("c", 10, 200, "rwm"),                   // /dev/net/tun
    };
    for (const auto& d : default_devices()) rules.push_back(rule("c", d.major, d.minor, "rwm"));
    for (const auto& d : devices) {
        if (d.type == "p") continue;
        rules.push_back(rule(d.type == "b" ? "b" : "c", d.major, d.minor, "rwm"));
    }
    return rules;
}

}  // namespace myrt::runtime
