#pragma once
// The mount options myrt understands, and what each one does, in one table:
// the runtime's mount code reads it and `features` lists it, so the list a
// caller sees is the list that works.
#include <string>
#include <string_view>
#include <vector>

namespace myrt::spec {

enum class MountOptionKind {
    set_flag,         // MS_* flag to set (flag == 0: no-op, as "defaults")
    clear_flag,       // MS_* flag to clear
    propagation,      // MS_PRIVATE/SHARED/SLAVE/UNBINDABLE (| MS_REC), applied after the mount
    recursive_set,    // MOUNT_ATTR_* to set on the whole tree with mount_setattr
    recursive_clear,  // MOUNT_ATTR_* to clear on the whole tree
};

struct MountOption {
    std::string_view name;
    MountOptionKind kind;
    unsigned long flag;
};

// nullptr when the option is not a flag: it then goes to the filesystem as data
// ("mode=755", "size=65536k").
const MountOption* find_mount_option(std::string_view name);
// Every option in the table, sorted by name (what `features` prints).
const std::vector<std::string>& mount_option_names();

}  // namespace myrt::spec
