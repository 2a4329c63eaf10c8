#include "cr/ns/id_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "util/error.hpp"

namespace myrt::cr::ns {

IdMap read_id_map(pid_t pid, const char* which) {
    std::string path = fmt::format("/proc/{}/{}", pid, which);
    std::ifstream f(path);
    if (!f) throw_errno("reading {}", path);
    IdMap out;
    IdMapRange r;
    while (f >> r.inside >> r.outside >> r.count) out.push_back(r);
    return out;
}

std::optional<uint32_t> id_to_host(const IdMap& map, uint32_t inside) {
    for (const auto& r : map)
        if (inside >= r.inside && inside - r.inside < r.count) return r.outside + (inside - r.inside);
    return std::nullopt;
}

std::optional<uint32_t> id_to_inside(const IdMap& map, uint32_t host) {
    for (const auto& r : map)
        if (host >= r.outside && host - r.outside < r.count) return r.inside + (host - r.outside);
    return std::nullopt;
}

std::string describe_id_map(const IdMap& map) {
    std::string out;
    for (const auto& r : map) out += fmt::format("{}{}:{}:{}", out.empty() ? "" : ",", r.inside, r.outside, r.count);
    return out.empty() ? "(empty)" : out;
}

std::string id_map_problem(const IdMap& map) {
    if (map.empty()) return "it has no ranges";
    if (map.size() > max_id_map_ranges) return fmt::format("it has {} ranges, over the kernel's {}", map.size(), max_id_map_ranges);
    auto overlap = [](uint64_t a, uint64_t n, uint64_t b, uint64_t m) { return a < b + m && b < a + n; };
    for (size_t i = 0; i < map.size(); ++i) {
        const auto& r = map[i];
        if (r.count == 0) return fmt::format("range {} maps no ids", describe_id_map({r}));
        if (uint64_t{r.inside} + r.count > (1ull << 32) - 1 || uint64_t{r.outside} + r.count > (1ull << 32) - 1)
            return fmt::format("range {} runs past the largest id", describe_id_map({r}));
        for (size_t j = 0; j < i; ++j)
            if (overlap(r.inside, r.count, map[j].inside, map[j].count) ||
                overlap(r.outside, r.count, map[j].outside, map[j].count))
                return fmt::format("ranges {} and {} overlap", describe_id_map({map[j]}), describe_id_map({r}));
    }
    return {};
}

bool same_id_map(IdMap a, IdMap b) {
    auto key = [](const IdMapRange& x, const IdMapRange& y) { return x.inside < y.inside; };
    std::sort(a.begin(), a.end(), key);
    std::sort(b.begin(), b.end(), key);
    return a == b;
}

}  // namespace myrt::cr::ns
