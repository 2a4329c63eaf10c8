// `events`: the container's resource usage as runc prints it ({"type":"stats",
// "id","data"}), once with --stats or every --interval, and OOM kills as they
// happen ({"type":"oom","id"}), until the container's init exits.
#include <poll.h>

#include <charconv>
#include <chrono>
#include <iostream>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/oom_watch.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/network_stats.hpp"
#include "runtime/process_info.hpp"
#include "util/error.hpp"

namespace myrt::cli {
namespace {
struct EventsArgs {
    std::string id, interval = "5s";
    bool stats_once = false;
};

// A Go duration as runc takes it: a number with ns, us, ms, s, m or h ("5s", "250ms", "1.5s").
std::chrono::milliseconds parse_events_interval(const std::string& text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    std::string unit(end, text.data() + text.size());
    static const std::pair<const char*, double> units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
    if (ec == std::errc())
        for (auto& [name, ms] : units)
            if (unit == name && value > 0) return std::chrono::milliseconds(std::max<long long>(1, static_cast<long long>(value * ms)));
    fail("events --interval {}: not a positive duration such as 5s or 250ms", text);
}

// runc's stats data: the cgroup's figures, plus the interfaces of the
// container's network namespace (left out when it has none of its own).
nlohmann::json container_stats(const cgroup::Cgroup& cg, pid_t pid) {
    nlohmann::json data = cg.stats();
    nlohmann::json interfaces = runtime::network_interfaces(pid);
    if (!interfaces.empty()) data["network_interfaces"] = std::move(interfaces);
    return data;
}

void print_event(const char* type, const std::string& id, const nlohmann::json* data) {
    nlohmann::ordered_json e = {{"type", type}, {"id", id}};
    if (data) e["data"] = *data;
    std::cout << e.dump() << std::endl;  // one line per event, flushed: callers read it as a stream
}
}  // namespace

Runner add_events(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("events", "display container events: resource usage and OOM kills");
    auto a = std::make_shared<EventsArgs>();
    c->add_flag("--stats", a->stats_once, "print the container's resource usage once and exit");
    c->add_option("--interval", a->interval, "how often to print usage (default 5s)");
    c->add_option("id", a->id, "container id")->required();
    return [&g, a]() -> int {
        auto store = g.store();
        auto st = store.load(a->id);
        auto cg = cgroup::Cgroup::from_json(st.cgroup);
        auto interval = parse_events_interval(a->interval);
        if (!runtime::process_is_alive(st.pid, st.pid_start_time)) fail("events: container \"{}\" is not running", a->id);
        if (a->stats_once) {
            auto data = container_stats(cg, st.pid);
            print_event("stats", a->id, &data);
            return 0;
        }
        cgroup::OomWatch oom(cg);
        auto next_stats = std::chrono::steady_clock::now();
        while (runtime::process_is_alive(st.pid, st.pid_start_time)) {
            auto now = std::chrono::steady_clock::now();
            if (now >= next_stats) {
                auto data = container_stats(cg, st.pid);
                print_event("stats", a->id, &data);
                next_stats = now + interval;
            }
            // Wake at least every 200 ms to notice the init's exit, and look at the
            // kill counter each time: the notification does not fire for every kill.
            auto wait = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(next_stats - now), std::chrono::milliseconds(200));
            pollfd p{oom.fd(), POLLIN, 0};
            ::poll(&p, 1, static_cast<int>(std::max<long long>(0, wait.count())));
            for (uint64_t n = oom.take(); n > 0; --n) print_event("oom", a->id, nullptr);
        }
        return 0;
    };
}
}  // namespace myrt::cli
