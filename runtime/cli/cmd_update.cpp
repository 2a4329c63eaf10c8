#include <iostream>
#include <iterator>

#include "runtime/cli/cli.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/lifecycle.hpp"
#include "spec/config.hpp"
#include "util/error.hpp"

namespace myrt::cli {
namespace {
struct UpdateArgs {
    std::string resources;
    std::optional<int64_t> memory, memory_swap, memory_reservation, kernel_memory, kernel_memory_tcp, cpu_quota,
        cpu_rt_runtime, pids_limit;
    std::optional<uint64_t> cpu_shares, cpu_period, cpu_rt_period;
    std::optional<uint16_t> blkio_weight;
    std::string cpuset_cpus, cpuset_mems;
};

// runc's flags take sizes like 512m; plain numbers are bytes.
int64_t parse_size(const std::string& s, const char* flag) {
    if (s == "-1") return -1;
    size_t pos = 0;
    double v;
    try {
        v = std::stod(s, &pos);
    } catch (...) {
        fail("{}: invalid size \"{}\"", flag, s);
    }
    std::string unit = s.substr(pos);
    for (auto& ch : unit) ch = static_cast<char>(::tolower(ch));
    double mult = 1;
    if (unit == "" || unit == "b") mult = 1;
    else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1024.0;
    else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1024.0 * 1024;
    else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1024.0 * 1024 * 1024;
    else fail("{}: invalid size unit in \"{}\"", flag, s);
    return static_cast<int64_t>(v * mult);
}
}  // namespace

Runner add_update(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("update", "change the resource limits of a running container");
    auto a = std::make_shared<UpdateArgs>();
    auto id = std::make_shared<std::string>();
    auto mem = std::make_shared<std::string>(), swap = std::make_shared<std::string>(),
         resv = std::make_shared<std::string>(), kmem = std::make_shared<std::string>(),
         kmemtcp = std::make_shared<std::string>();
    c->add_option("-r,--resources", a->resources, "LinuxResources JSON file, or - for stdin");
    c->add_option("--memory", *mem, "memory limit (e.g. 512m)");
    c->add_option("--memory-swap", *swap, "memory plus swap limit");
    c->add_option("--memory-reservation", *resv, "memory soft limit");
    c->add_option("--kernel-memory", *kmem, "kernel memory limit (cgroup v1)");
    c->add_option("--kernel-memory-tcp", *kmemtcp, "kernel TCP buffer limit (cgroup v1)");
    c->add_option("--cpu-share,--cpu-shares", a->cpu_shares, "CPU shares (relative weight)");
    c->add_option("--cpu-period", a->cpu_period, "CPU CFS period in microseconds");
    c->add_option("--cpu-quota", a->cpu_quota, "CPU CFS quota in microseconds");
    c->add_option("--cpu-rt-period", a->cpu_rt_period, "CPU realtime period");
    c->add_option("--cpu-rt-runtime", a->cpu_rt_runtime, "CPU realtime runtime");
    c->add_option("--cpuset-cpus", a->cpuset_cpus, "CPUs to use (0-3, 0,1)");
    c->add_option("--cpuset-mems", a->cpuset_mems, "memory nodes to use");
    c->add_option("--pids-limit", a->pids_limit, "maximum number of processes");
    c->add_option("--blkio-weight", a->blkio_weight, "block IO weight (10-1000)");
    c->add_option("id", *id, "container id")->required();
    return [&g, a, id, mem, swap, resv, kmem, kmemtcp] {
        nlohmann::json r = nlohmann::json::object();
        if (!a->resources.empty()) {
            std::string text;
            if (a->resources == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
            else text = runtime::read_file(a->resources);
            try {
                r = nlohmann::json::parse(text);
            } catch (const nlohmann::json::exception& e) {
                fail("update --resources: invalid JSON: {}", e.what());
            }
        }
        if (!mem->empty()) r["memory"]["limit"] = parse_size(*mem, "--memory");
        if (!swap->empty()) r["memory"]["swap"] = parse_size(*swap, "--memory-swap");
        if (!resv->empty()) r["memory"]["reservation"] = parse_size(*resv, "--memory-reservation");
        if (!kmem->empty()) r["memory"]["kernel"] = parse_size(*kmem, "--kernel-memory");
        if (!kmemtcp->empty()) r["memory"]["kernelTCP"] = parse_size(*kmemtcp, "--kernel-memory-tcp");
        if (a->cpu_shares) r["cpu"]["shares"] = *a->cpu_shares;
        if (a->cpu_period) r["cpu"]["period"] = *a->cpu_period;
        if (a->cpu_quota) r["cpu"]["quota"] = *a->cpu_quota;
        if (a->cpu_rt_period) r["cpu"]["realtimePeriod"] = *a->cpu_rt_period;
        if (a->cpu_rt_runtime) r["cpu"]["realtimeRuntime"] = *a->cpu_rt_runtime;
        if (!a->cpuset_cpus.empty()) r["cpu"]["cpus"] = a->cpuset_cpus;
        if (!a->cpuset_mems.empty()) r["cpu"]["mems"] = a->cpuset_mems;
        if (a->pids_limit) r["pids"]["limit"] = *a->pids_limit;
        if (a->blkio_weight) r["blockIO"]["weight"] = *a->blkio_weight;
        if (!r.is_object()) fail("update --resources: expected a JSON object");
        spec::Resources res = spec::parse_resources(r);
        runtime::update_container(g.store(), *id, res, r);
        return 0;
    };
}
}  // namespace myrt::cli
