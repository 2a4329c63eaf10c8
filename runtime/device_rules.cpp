#include "runtime/device_rules.hpp"

#include "runtime/cgroup/cgroup.hpp"

namespace myrt::runtime {

std::vector<spec::DeviceCgroupRule> default_device_rules(const std::vector<spec::Device>& devices) {
    std::vector<spec::DeviceCgroupRule> rules = cgroup::default_device_rules();
    for (const auto& d : devices) {
        if (d.type == "p") continue;
        spec::DeviceCgroupRule r;
        r.allow = true;
        r.type = d.type == "b" ? "b" : "c";
        r.major = d.major;
        r.minor = d.minor;
        r.access = "rwm";
        rules.push_back(r);
    }
    return rules;
}

}  // namespace myrt::runtime
