#pragma once
// Linux capabilities of the container process: names, bounding set, capset, ambient set.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"

namespace myrt::security {

// "CAP_SYS_ADMIN" -> 21 (case-insensitive); nullopt for a name this table does not know.
std::optional<int> cap_from_name(std::string_view name);
// Every capability known to myrt, in number order (index == capability number).
std::vector<std::string> cap_names();
// Bit mask of the named capabilities; an unknown name throws myrt::Error naming it.
uint64_t cap_mask(const std::vector<std::string>& names);
// The highest capability the running kernel knows (/proc/sys/kernel/cap_last_cap).
int kernel_last_cap();

// Order matters (runc's): call drop_bounding_set() while still root before setting the user,
// keep_caps_before_setuid() before setresuid, then apply_capabilities() after the uid change.
// Names unknown to myrt or to the running kernel (> cap_last_cap) are skipped (runc runs such
// configs); warn_unusable_capabilities() says so.

// PR_CAPBSET_DROP every capability not in c.bounding (needs CAP_SETPCAP).
void drop_bounding_set(const spec::Capabilities& c);
// PR_SET_KEEPCAPS 1, so that setresuid away from root keeps the permitted set.
void keep_caps_before_setuid();
// capset effective/permitted/inheritable, then PR_SET_KEEPCAPS 0, then PR_CAP_AMBIENT_RAISE for
// each ambient capability. The kernel only raises an ambient capability that is both permitted
// and inheritable; one that it refuses is skipped, as runc does.
void apply_capabilities(const spec::Capabilities& c);

// runc's warnings, given by the runtime before the process is made (the process's own stderr
// is the container's): names unknown to myrt or the kernel, which are skipped, and ambient
// capabilities that are not both permitted and inheritable, which cannot be raised.
void warn_unusable_capabilities(const spec::Capabilities& c);

struct CapSets {
    uint64_t bounding, effective, permitted, inheritable, ambient;
};
// From /proc/PID/status CapBnd/CapEff/CapPrm/CapInh/CapAmb.
CapSets read_capabilities(pid_t pid);

}  // namespace myrt::security
