#pragma once
// uid_map/gid_map of a user namespace, as seen from the host: how the ids a
// container's tasks see translate to host ids and back. The image records
// credentials as the container saw them and the maps next to them
// (docs/cr-process.md, "User namespaces").
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace myrt::cr::ns {

// One line of a map: ids [inside, inside+count) are host ids [outside, outside+count).
struct IdMapRange {
    uint32_t inside = 0;
    uint32_t outside = 0;
    uint32_t count = 0;
    bool operator==(const IdMapRange&) const = default;
};
using IdMap = std::vector<IdMapRange>;

// The kernel's bound on the lines of one map (UID_GID_MAP_MAX_EXTENTS).
inline constexpr size_t max_id_map_ranges = 340;

// /proc/PID/uid_map or gid_map (`which`), read from the host's user namespace.
IdMap read_id_map(pid_t pid, const char* which);

// Host id of `inside`, or nullopt when the map does not map it.
std::optional<uint32_t> id_to_host(const IdMap& map, uint32_t inside);
// Id inside the namespace of host id `host`, or nullopt when unmapped.
std::optional<uint32_t> id_to_inside(const IdMap& map, uint32_t host);

// A map in a form for messages: "0:100000:65536,..." (inside:outside:count).
std::string describe_id_map(const IdMap& map);
// Empty when the ranges are a valid map (non-empty counts, no overflow, no two
// ranges overlapping on either side), else what is wrong with them.
std::string id_map_problem(const IdMap& map);
// The same set of ranges, whatever their order.
bool same_id_map(IdMap a, IdMap b);

}  // namespace myrt::cr::ns
