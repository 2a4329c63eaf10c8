#include "spec/capabilities_table.hpp"

#include <linux/capability.h>

#include <array>

namespace myrt::spec {
namespace {

// Indexed by capability number; the static_asserts below pin the ends to the
// kernel header so a renumbering there cannot slip through silently.
constexpr std::array<std::string_view, 41> kNames = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",         "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",        "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",      "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",     "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",   "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",          "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",   "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",  "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

static_assert(CAP_CHOWN == 0);
static_assert(CAP_SYS_ADMIN == 21);
static_assert(CAP_AUDIT_READ == 37);
static_assert(CAP_CHECKPOINT_RESTORE == 40);
static_assert(kNames.size() == CAP_CHECKPOINT_RESTORE + 1);

}  // namespace

std::optional<int> capability_number(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<int>(i);
    return std::nullopt;
}

std::optional<std::string> capability_name(int number) {
    if (number < 0 || number >= static_cast<int>(kNames.size())) return std::nullopt;
    return std::string(kNames[number]);
}

const std::vector<std::string>& all_capability_names() {
    static const std::vector<std::string> names(kNames.begin(), kNames.end());
    return names;
}

int last_capability_number() { return static_cast<int>(kNames.size()) - 1; }

}  // namespace myrt::spec
