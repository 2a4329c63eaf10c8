// Resource usage in the shape of runc's `events --stats` "data" object (libcontainer's
// cgroups.Stats): cpu.usage.{total,percpu,kernel,user} in ns, memory.usage/swap/kernel
// {usage,max,limit,failcnt} in bytes, memory.raw (memory.stat), pids.{current,limit},
// blkio.ioServiceBytesRecursive/ioServicedRecursive/... lists, hugetlb per page size.
#include <unistd.h>

#include <cstdio>

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

// One list of runc's BlkioEntry {major, minor, op, value} from a v1 file of
// "MAJ:MIN Op VALUE" lines (the "Total" line is left out, as runc does).
json blkio_entries_v1(const std::string& dir, const std::string& file) {
    json list = json::array();
    auto text = fs::read_if_exists(dir, file);
    if (!text) return list;
    for (auto& line : fs::split(*text, '\n')) {
        auto f = fs::split(fs::trim(line), ' ');
        unsigned major = 0, minor = 0;
        if (f.size() != 3 || std::sscanf(f[0].c_str(), "%u:%u", &major, &minor) != 2) continue;
        list.push_back({{"major", major}, {"minor", minor}, {"op", f[1]}, {"value", std::stoull(f[2])}});
    }
    return list;
}

// v1: the CFQ/BFQ files when the disk's scheduler has them, else the throttle ones (runc's choice).
json blkio_v1(const std::string& dir) {
    std::string prefix = fs::exists(dir, "blkio.io_service_bytes_recursive") ? "blkio." : "blkio.throttle.";
    json b = {{"ioServiceBytesRecursive", blkio_entries_v1(dir, prefix + "io_service_bytes_recursive")},
              {"ioServicedRecursive", blkio_entries_v1(dir, prefix + "io_serviced_recursive")}};
    if (prefix == "blkio.") {
        b["ioQueueRecursive"] = blkio_entries_v1(dir, "blkio.io_queued_recursive");
        b["ioServiceTimeRecursive"] = blkio_entries_v1(dir, "blkio.io_service_time_recursive");
        b["ioWaitTimeRecursive"] = blkio_entries_v1(dir, "blkio.io_wait_time_recursive");
        b["ioMergedRecursive"] = blkio_entries_v1(dir, "blkio.io_merged_recursive");
        b["ioTimeRecursive"] = blkio_entries_v1(dir, "blkio.time_recursive");
        b["sectorsRecursive"] = blkio_entries_v1(dir, "blkio.sectors_recursive");
    }
    return b;
}

// v2 io.stat ("MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..."), mapped as runc does:
// bytes to ioServiceBytesRecursive, ios to ioServicedRecursive, ops Read/Write/Discard.
json blkio_v2(const std::string& dir) {
    json bytes = json::array(), ios = json::array();
    if (auto text = fs::read_if_exists(dir, "io.stat")) {
        for (auto& line : fs::split(*text, '\n')) {
            auto f = fs::split(fs::trim(line), ' ');
            unsigned major = 0, minor = 0;
            if (f.empty() || std::sscanf(f[0].c_str(), "%u:%u", &major, &minor) != 2) continue;
            for (size_t i = 1; i < f.size(); ++i) {
                auto eq = f[i].find('=');
                if (eq == std::string::npos) continue;
                std::string key = f[i].substr(0, eq);
                uint64_t value = std::stoull(f[i].substr(eq + 1));
                static const std::pair<const char*, const char*> ops[] = {{"r", "Read"}, {"w", "Write"}, {"d", "Discard"}};
                for (auto& [k, op] : ops) {
                    if (key == std::string(k) + "bytes") bytes.push_back({{"major", major}, {"minor", minor}, {"op", op}, {"value", value}});
                    if (key == std::string(k) + "ios") ios.push_back({{"major", major}, {"minor", minor}, {"op", op}, {"value", value}});
                }
            }
        }
    }
    return {{"ioServiceBytesRecursive", bytes}, {"ioServicedRecursive", ios}};
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

    if (auto d = path_if("blkio"); !d.empty()) out["blkio"] = blkio_v1(d);
    else if (v2_ok && fs::exists(unified_.dir, "io.stat")) out["blkio"] = blkio_v2(unified_.dir);

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
