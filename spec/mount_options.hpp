#pragma once
// The mount options myrt understands, and what each one does, in one table:
// the runtime's mount code reads it and `features` lists it, so the list a
// caller sees is the list that works.
#include <cstdint>
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
    recursive_atime,  // the MOUNT_ATTR__ATIME field's new value for the whole tree
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

// A mount's options folded into what the syscalls take; later options win
// over earlier ones, as with mount(8).
struct MountFlags {
    unsigned long flags = 0;                 // MS_* to pass to mount(2)
    unsigned long clear_flags = 0;           // MS_* explicitly turned off ("rw", "suid")
    std::vector<unsigned long> propagation;  // MS_PRIVATE|MS_REC ..., applied after the mount, in order
    uint64_t attr_set = 0;                   // mount_setattr(AT_RECURSIVE) attr_set
    uint64_t attr_clr = 0;                   // mount_setattr(AT_RECURSIVE) attr_clr
    std::string data;                        // the rest, comma-joined, for the filesystem
    bool bind() const;
    bool recursive() const { return attr_set != 0 || attr_clr != 0; }
};
MountFlags parse_mount_flags(const std::vector<std::string>& options);

}  // namespace myrt::spec
