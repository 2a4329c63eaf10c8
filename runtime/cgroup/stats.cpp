// Resource usage in the shape of runc's `events --stats` "data" object (libcontainer's
// cgroups.Stats): cpu.usage.{total,percpu,kernel,user} in ns, memory.usage/swap/kernel
// {usage,max,limit,failcnt} in bytes, memory.raw (memory.stat), pids.{current,limit}.
#include <unistd.h>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroupfs.hpp"
#include "util/error.hpp"

namespace myrt::cgroup {

namespace {

using nlohmann::json;

// runc reports "unlimited" as the largest uint64, not -1.
uint64_t limit_value(std::optional<int64_t> v) {
    if (!v) return 0;
    return *v < 0 ? UINT64_MAX : static_cast<uint64_t>(*v);
}

json usage_entry(const std::string& dir, const std::string& prefix) {
    return {{"usage", limit_value(fs::read_int_if_exists(dir, prefix + "usage_in_bytes"))},
            {"max", limit_value(fs::read_int_if_exists(dir, prefix + "max_usage_in_bytes"))},
            {"limit", limit_value(fs::read_int_if_exists(dir, prefix + "limit_in_bytes"))},
            {"failcnt", limit_value(fs::read_int_if_exists(dir, prefix + "failcnt"))}};
}

json raw_stat(const std::string& dir, const std::string& file) {
    json raw = json::object();
    if (fs::exists(dir, file))
        for (auto& [k, v] : fs::read_keyed(dir, file)) raw[k] = v;
    return raw;
}

json memory_v1(const std::string& dir) {
    json m = {{"usage", usage_entry(dir, "memory.")},
              {"swap", usage_entry(dir, "memory.memsw.")},
              {"kernel", usage_entry(dir, "memory.kmem.")},
              {"kernelTCP", usage_entry(dir, "memory.kmem.tcp.")},
              {"raw", raw_stat(dir, "memory.stat")}};
    m["cache"] = m["raw"].value("total_cache", m["raw"].value("cache", uint64_t{0}));
    return m;
}

json memory_v2(const std::string& dir) {
    auto events = fs::exists(dir, "memory.events") ? fs::read_keyed(dir, "memory.events") : std::map<std::string, uint64_t>{};
    json m = {{"usage",
               {{"usage", limit_value(fs::read_int_if_exists(dir, "memory.current"))},
                {"max", limit_value(fs::read_int_if_exists(dir, "memory.peak"))},
                {"limit", limit_value(fs::read_int_if_exists(dir, "memory.max"))},
                {"failcnt", events.count("max") ? events["max"] : 0}}},
              {"swap",
               {{"usage", limit_value(fs::read_int_if_exists(dir, "memory.swap.current"))},
                {"max", limit_value(fs::read_int_if_exists(dir, "memory.swap.peak"))},
                {"limit", limit_value(fs::read_int_if_exists(dir, "memory.swap.max"))},
                {"failcnt", 0}}},
              {"raw", raw_stat(dir, "memory.stat")}};
    m["cache"] = m["raw"].value("file", uint64_t{0});
    return m;
}

json cpu_v1(const std::string& cpuacct_dir, const std::string& cpu_dir) {
    json usage = {{"total", limit_value(fs::read_int_if_exists(cpuacct_dir, "cpuacct.usage"))},
                  {"kernel", limit_value(fs::read_int_if_exists(cpuacct_dir, "cpuacct.usage_sys"))},
                  {"user", limit_value(fs::read_int_if_exists(cpuacct_dir, "cpuacct.usage_user"))}};
    json percpu = json::array();
    if (auto text = fs::read_if_exists(cpuacct_dir, "cpuacct.usage_percpu"))
        for (auto& v : fs::split(fs::trim(*text), ' '))
            if (!v.empty()) percpu.push_back(std::stoull(v));
    usage["percpu"] = percpu;
    json throttling = json::object();
    if (!cpu_dir.empty() && fs::exists(cpu_dir, "cpu.stat")) {
        auto s = fs::read_keyed(cpu_dir, "cpu.stat");
        throttling = {{"periods", s["nr_periods"]}, {"throttledPeriods", s["nr_throttled"]}, {"throttledTime", s["throttled_time"]}};
    }
    return {{"usage", usage}, {"throttling", throttling}};
}

json cpu_v2(const std::string& dir) {
    auto s = fs::read_keyed(dir, "cpu.stat");
    return {{"usage", {{"total", s["usage_usec"] * 1000}, {"kernel", s["system_usec"] * 1000}, {"user", s["user_usec"] * 1000}, {"percpu", json::array()}}},
            {"throttling", {{"periods", s["nr_periods"]}, {"throttledPeriods", s["nr_throttled"]}, {"throttledTime", s["throttled_usec"] * 1000}}}};
}

json pids_stats(const std::string& dir) {
    auto max = fs::read_int_if_exists(dir, "pids.max");
    // runc reports an unlimited pids.max as 0.
    return {{"current", limit_value(fs::read_int_if_exists(dir, "pids.current"))}, {"limit", max && *max > 0 ? *max : 0}};
}

}  // namespace

nlohmann::json Cgroup::stats() const {
    json out = json::object();
    bool v2_ok = !unified_.dir.empty() && fs::dir_exists(unified_.dir);
    auto path_if = [&](const char* c) -> std::string {
        for (auto& h : v1_)
            for (auto& name : h.controllers)
                if (name == c) return h.dir;
        return {};
    };
    if (auto d = path_if("memory"); !d.empty()) out["memory"] = memory_v1(d);
    else if (v2_ok && fs::exists(unified_.dir, "memory.current")) out["memory"] = memory_v2(unified_.dir);

    if (auto d = path_if("cpuacct"); !d.empty()) out["cpu"] = cpu_v1(d, path_if("cpu"));
    else if (v2_ok && fs::exists(unified_.dir, "cpu.stat")) out["cpu"] = cpu_v2(unified_.dir);

    if (auto d = path_if("pids"); !d.empty()) out["pids"] = pids_stats(d);
    else if (v2_ok && fs::exists(unified_.dir, "pids.current")) out["pids"] = pids_stats(unified_.dir);

    json hugetlb = json::object();
    std::string hdir = path_if("hugetlb");
    bool hv1 = !hdir.empty();
    if (!hv1 && v2_ok) hdir = unified_.dir;
    if (!hdir.empty() && fs::dir_exists(hdir)) {
        // hugetlb.<size>.usage_in_bytes (v1) or hugetlb.<size>.current (v2), one per page size.
        for (const char* size : {"2MB", "1GB"}) {
            std::string base = std::string("hugetlb.") + size + ".";
            auto usage = fs::read_int_if_exists(hdir, base + (hv1 ? "usage_in_bytes" : "current"));
            if (!usage) continue;
            hugetlb[size] = {{"usage", limit_value(usage)},
                             {"max", limit_value(fs::read_int_if_exists(hdir, base + (hv1 ? "max_usage_in_bytes" : "peak")))},
                             {"failcnt", hv1 ? limit_value(fs::read_int_if_exists(hdir, base + "failcnt"))
                                             : (fs::exists(hdir, base + "events") ? fs::read_keyed(hdir, base + "events")["max"] : 0)}};
        }
    }
    out["hugetlb"] = hugetlb;
    return out;
}

}  // namespace myrt::cgroup
