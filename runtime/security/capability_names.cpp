// Capability numbers from <linux/capability.h>. Kept here, not taken from libcap, so the table
// does not shrink or grow with whichever libcap the build machine has.
#include <array>
#include <cctype>
#include <string_view>

#include "runtime/security/capabilities.hpp"
#include "util/error.hpp"

namespace myrt::security {
namespace {

constexpr std::array<std::string_view, 41> kNames = {
    "CAP_CHOWN",            "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",           "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",          "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",        "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",       "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",        "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",     "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",            "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",     "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",    "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return true;
}

}  // namespace

std::optional<int> cap_from_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (equal_ignoring_case(name, kNames[i])) return static_cast<int>(i);
    return std::nullopt;
}

std::vector<std::string> cap_names() { return {kNames.begin(), kNames.end()}; }

uint64_t cap_mask(const std::vector<std::string>& names) {
    uint64_t mask = 0;
    for (const auto& name : names) {
        auto number = cap_from_name(name);
        if (!number) fail("unknown capability \"{}\"", name);
        mask |= uint64_t{1} << *number;
    }
    return mask;
}

}  // namespace myrt::security
