#include "spec/mount_options.hpp"

#include <sys/mount.h>

#include <algorithm>
#include <array>

namespace myrt::spec {
namespace {

using K = MountOptionKind;

const std::array kOptions = {
    MountOption{"defaults", K::set_flag, 0},
    MountOption{"ro", K::set_flag, MS_RDONLY},
    MountOption{"rw", K::clear_flag, MS_RDONLY},
    MountOption{"nosuid", K::set_flag, MS_NOSUID},
    MountOption{"suid", K::clear_flag, MS_NOSUID},
    MountOption{"nodev", K::set_flag, MS_NODEV},
    MountOption{"dev", K::clear_flag, MS_NODEV},
    MountOption{"noexec", K::set_flag, MS_NOEXEC},
    MountOption{"exec", K::clear_flag, MS_NOEXEC},
    MountOption{"sync", K::set_flag, MS_SYNCHRONOUS},
    MountOption{"async", K::clear_flag, MS_SYNCHRONOUS},
    MountOption{"dirsync", K::set_flag, MS_DIRSYNC},
    MountOption{"remount", K::set_flag, MS_REMOUNT},
    MountOption{"mand", K::set_flag, MS_MANDLOCK},
    MountOption{"nomand", K::clear_flag, MS_MANDLOCK},
    MountOption{"atime", K::clear_flag, MS_NOATIME},
    MountOption{"noatime", K::set_flag, MS_NOATIME},
    MountOption{"diratime", K::clear_flag, MS_NODIRATIME},
    MountOption{"nodiratime", K::set_flag, MS_NODIRATIME},
    MountOption{"relatime", K::set_flag, MS_RELATIME},
    MountOption{"norelatime", K::clear_flag, MS_RELATIME},
    MountOption{"strictatime", K::set_flag, MS_STRICTATIME},
    MountOption{"nostrictatime", K::clear_flag, MS_STRICTATIME},
    MountOption{"lazytime", K::set_flag, MS_LAZYTIME},
    MountOption{"nolazytime", K::clear_flag, MS_LAZYTIME},
    MountOption{"iversion", K::set_flag, MS_I_VERSION},
    MountOption{"noiversion", K::clear_flag, MS_I_VERSION},
    MountOption{"silent", K::set_flag, MS_SILENT},
    MountOption{"loud", K::clear_flag, MS_SILENT},
    MountOption{"bind", K::set_flag, MS_BIND},
    MountOption{"rbind", K::set_flag, MS_BIND | MS_REC},
    MountOption{"private", K::propagation, MS_PRIVATE},
    MountOption{"rprivate", K::propagation, MS_PRIVATE | MS_REC},
    MountOption{"shared", K::propagation, MS_SHARED},
    MountOption{"rshared", K::propagation, MS_SHARED | MS_REC},
    MountOption{"slave", K::propagation, MS_SLAVE},
    MountOption{"rslave", K::propagation, MS_SLAVE | MS_REC},
    MountOption{"unbindable", K::propagation, MS_UNBINDABLE},
    MountOption{"runbindable", K::propagation, MS_UNBINDABLE | MS_REC},
    // Recursive variants: a bind mount's submounts keep their own flags unless
    // changed with mount_setattr(AT_RECURSIVE).
    MountOption{"rro", K::recursive_set, MOUNT_ATTR_RDONLY},
    MountOption{"rrw", K::recursive_clear, MOUNT_ATTR_RDONLY},
    MountOption{"rnosuid", K::recursive_set, MOUNT_ATTR_NOSUID},
    MountOption{"rsuid", K::recursive_clear, MOUNT_ATTR_NOSUID},
    MountOption{"rnodev", K::recursive_set, MOUNT_ATTR_NODEV},
    MountOption{"rdev", K::recursive_clear, MOUNT_ATTR_NODEV},
    MountOption{"rnoexec", K::recursive_set, MOUNT_ATTR_NOEXEC},
    MountOption{"rexec", K::recursive_clear, MOUNT_ATTR_NOEXEC},
    MountOption{"rnodiratime", K::recursive_set, MOUNT_ATTR_NODIRATIME},
    MountOption{"rdiratime", K::recursive_clear, MOUNT_ATTR_NODIRATIME},
    // The atime modes are one field (MOUNT_ATTR__ATIME), not independent
    // bits, so each of these names the mode the field ends up with; the
    // negative forms fall back to the kernel default (relatime), except
    // norelatime, which mount(8) documents as strictatime.
    MountOption{"rnoatime", K::recursive_atime, MOUNT_ATTR_NOATIME},
    MountOption{"ratime", K::recursive_atime, MOUNT_ATTR_RELATIME},
    MountOption{"rrelatime", K::recursive_atime, MOUNT_ATTR_RELATIME},
    MountOption{"rnorelatime", K::recursive_atime, MOUNT_ATTR_STRICTATIME},
    MountOption{"rstrictatime", K::recursive_atime, MOUNT_ATTR_STRICTATIME},
    MountOption{"rnostrictatime", K::recursive_atime, MOUNT_ATTR_RELATIME},
};

}  // namespace

const MountOption* find_mount_option(std::string_view name) {
    for (auto& option : kOptions)
        if (option.name == name) return &option;
    return nullptr;
}

const std::vector<std::string>& mount_option_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (auto& option : kOptions) out.emplace_back(option.name);
        std::sort(out.begin(), out.end());
        return out;
    }();
    return names;
}

bool MountFlags::bind() const { return (flags & MS_BIND) != 0; }

MountFlags parse_mount_flags(const std::vector<std::string>& options) {
    MountFlags out;
    for (auto& name : options) {
        const MountOption* option = find_mount_option(name);
        if (!option) {
            if (!out.data.empty()) out.data += ",";
            out.data += name;
            continue;
        }
        switch (option->kind) {
            case MountOptionKind::set_flag:
                out.flags |= option->flag;
                out.clear_flags &= ~option->flag;
                break;
            case MountOptionKind::clear_flag:
                out.flags &= ~option->flag;
                out.clear_flags |= option->flag;
                break;
            case MountOptionKind::propagation:
                out.propagation.push_back(option->flag);
                break;
            case MountOptionKind::recursive_set:
                out.attr_set |= option->flag;
                out.attr_clr &= ~option->flag;
                break;
            case MountOptionKind::recursive_clear:
                out.attr_clr |= option->flag;
                out.attr_set &= ~option->flag;
                break;
            case MountOptionKind::recursive_atime:
                // The kernel wants the whole field cleared whenever the mode changes.
                out.attr_clr |= MOUNT_ATTR__ATIME;
                out.attr_set = (out.attr_set & ~uint64_t{MOUNT_ATTR__ATIME}) | option->flag;
                break;
        }
    }
    return out;
}

}  // namespace myrt::spec
