// Bounding set, capset and ambient set of the container process, in runc's order.
#include "runtime/security/capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>

#include <set>
#include <sstream>
#include <string>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace myrt::security {
namespace {

std::string cap_label(int number) {
    auto names = cap_names();
    return number < static_cast<int>(names.size()) ? names[number] : fmt::format("capability {}", number);
}

// Mask of the capabilities in `names` that both myrt and the running kernel know. The names
// left out were warned about by the runtime before the process was made
// (warn_unusable_capabilities); this runs in the container's process, whose stderr is the
// container's own, so it only logs them at debug level.
uint64_t usable_mask(const std::vector<std::string>& names, const char* set_name) {
    int last = kernel_last_cap();
    uint64_t mask = 0;
    for (const auto& name : names) {
        auto number = cap_from_name(name);
        if (!number || *number > last) {
            log::debug("capabilities.{}: skipping {}: unknown or unavailable", set_name, name);
            continue;
        }
        mask |= uint64_t{1} << *number;
    }
    return mask;
}

std::string describe(uint64_t mask) {
    std::string out;
    for (int i = 0; i < 64; ++i)
        if (mask & (uint64_t{1} << i)) out += (out.empty() ? "" : ",") + cap_label(i);
    return out.empty() ? "none" : out;
}

std::string read_small_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open {}", path);
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        check(n, "read {}", path);
        if (n == 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    return text;
}

}  // namespace

int kernel_last_cap() {
    // PR_CAPBSET_READ answers EINVAL past the last capability; unlike /proc/sys/kernel/cap_last_cap
    // it works wherever the container's /proc is not mounted yet.
    static const int last = [] {
        int n = 0;
        while (n < 63 && ::prctl(PR_CAPBSET_READ, n + 1, 0, 0, 0) >= 0) ++n;
        return n;
    }();
    return last;
}

void drop_bounding_set(const spec::Capabilities& c) {
    uint64_t keep = usable_mask(c.bounding, "bounding");
    int last = kernel_last_cap();
    for (int cap = 0; cap <= last; ++cap) {
        if (keep & (uint64_t{1} << cap)) continue;
        int present = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (present == 0) continue;
        check(::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "drop {} from the bounding set", cap_label(cap));
    }
}

void keep_caps_before_setuid() {
    check(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS, 1)");
}

void apply_capabilities(const spec::Capabilities& c) {
    uint64_t effective = usable_mask(c.effective, "effective");
    uint64_t permitted = usable_mask(c.permitted, "permitted");
    uint64_t inheritable = usable_mask(c.inheritable, "inheritable");

    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    for (int word = 0; word < _LINUX_CAPABILITY_U32S_3; ++word) {
        data[word].effective = static_cast<uint32_t>(effective >> (32 * word));
        data[word].permitted = static_cast<uint32_t>(permitted >> (32 * word));
        data[word].inheritable = static_cast<uint32_t>(inheritable >> (32 * word));
    }
    if (::syscall(SYS_capset, &header, data) < 0)
        throw_errno("capset effective={} permitted={} inheritable={}", describe(effective), describe(permitted),
                    describe(inheritable));

    check(::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(PR_SET_KEEPCAPS, 0)");

    // Start from an empty ambient set so the result is exactly the config's.
    check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear the ambient capability set");
    uint64_t ambient = usable_mask(c.ambient, "ambient");
    for (int cap = 0; cap < 64; ++cap) {
        if (!(ambient & (uint64_t{1} << cap))) continue;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
            int e = errno;
            if (e != EPERM) throw SystemError(e, fmt::format("raise ambient capability {}", cap_label(cap)));
            // Warned about before the process was made (warn_unusable_capabilities), as runc warns.
            log::debug("capabilities.ambient: cannot raise {}: it must be both permitted and inheritable",
                       cap_label(cap));
        }
    }
}

void warn_unusable_capabilities(const spec::Capabilities& c) {
    std::set<std::string> unknown;
    int last = kernel_last_cap();
    for (const auto* set : {&c.bounding, &c.effective, &c.inheritable, &c.permitted, &c.ambient})
        for (const auto& name : *set) {
            auto number = cap_from_name(name);
            if (!number || *number > last) unknown.insert(name);
        }
    if (!unknown.empty()) {
        std::string list;
        for (const auto& name : unknown) list += (list.empty() ? "" : " ") + name;
        log::warn("ignoring unknown or unavailable capabilities: [{}]", list);
    }
    // The kernel raises an ambient capability only if it is both permitted and inheritable.
    uint64_t raisable = usable_mask(c.permitted, "permitted") & usable_mask(c.inheritable, "inheritable");
    uint64_t ambient = usable_mask(c.ambient, "ambient");
    for (int cap = 0; cap < 64; ++cap)
        if ((ambient & ~raisable) & (uint64_t{1} << cap))
            log::warn("can't raise ambient capability {}: operation not permitted", cap_label(cap));
}

CapSets read_capabilities(pid_t pid) {
    std::string path = pid == 0 ? std::string("/proc/self/status") : fmt::format("/proc/{}/status", pid);
    std::istringstream in(read_small_file(path));
    CapSets sets{};
    int found = 0;
    std::string line;
    auto parse = [&](std::string_view key, uint64_t& out) {
        if (!line.starts_with(key)) return;
        auto value = line.substr(key.size());
        size_t used = 0;
        try {
            out = std::stoull(value, &used, 16);
        } catch (const std::exception&) {
            fail("{}: cannot parse \"{}\"", path, line);
        }
        ++found;
    };
    while (std::getline(in, line)) {
        parse("CapInh:", sets.inheritable);
        parse("CapPrm:", sets.permitted);
        parse("CapEff:", sets.effective);
        parse("CapBnd:", sets.bounding);
        parse("CapAmb:", sets.ambient);
    }
    if (found != 5) fail("{}: expected CapInh/CapPrm/CapEff/CapBnd/CapAmb lines, found {} of them", path, found);
    return sets;
}

}  // namespace myrt::security
