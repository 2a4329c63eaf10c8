#include "runtime/mount_options.hpp"

#include <sys/mount.h>

#include <map>

namespace myrt::runtime {
namespace {
struct FlagOpt {
    bool clear;
    unsigned long flag;
};
const std::map<std::string, FlagOpt>& flag_table() {
    static const std::map<std::string, FlagOpt> t = {
        {"async", {true, MS_SYNCHRONOUS}},  {"atime", {true, MS_NOATIME}},      {"bind", {false, MS_BIND}},
        {"defaults", {false, 0}},           {"dev", {true, MS_NODEV}},          {"diratime", {true, MS_NODIRATIME}},
        {"dirsync", {false, MS_DIRSYNC}},   {"exec", {true, MS_NOEXEC}},        {"iversion", {false, MS_I_VERSION}},
        {"lazytime", {false, MS_LAZYTIME}}, {"loud", {true, MS_SILENT}},        {"mand", {false, MS_MANDLOCK}},
        {"noatime", {false, MS_NOATIME}},   {"nodev", {false, MS_NODEV}},       {"nodiratime", {false, MS_NODIRATIME}},
        {"noexec", {false, MS_NOEXEC}},     {"noiversion", {true, MS_I_VERSION}}, {"nolazytime", {true, MS_LAZYTIME}},
        {"nomand", {true, MS_MANDLOCK}},    {"norelatime", {true, MS_RELATIME}}, {"nostrictatime", {true, MS_STRICTATIME}},
        {"nosuid", {false, MS_NOSUID}},     {"rbind", {false, MS_BIND | MS_REC}}, {"relatime", {false, MS_RELATIME}},
        {"remount", {false, MS_REMOUNT}},   {"ro", {false, MS_RDONLY}},         {"rw", {true, MS_RDONLY}},
        {"silent", {false, MS_SILENT}},     {"strictatime", {false, MS_STRICTATIME}}, {"suid", {true, MS_NOSUID}},
        {"sync", {false, MS_SYNCHRONOUS}},
    };
    return t;
}
const std::map<std::string, unsigned long>& propagation_table() {
    static const std::map<std::string, unsigned long> t = {
        {"private", MS_PRIVATE},   {"rprivate", MS_PRIVATE | MS_REC},       {"shared", MS_SHARED},
        {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},                {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    return t;
}
}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions out;
    for (const auto& o : options) {
        if (auto it = flag_table().find(o); it != flag_table().end()) {
            if (it->second.clear) {
                out.flags &= ~it->second.flag;
                out.clear_flags |= it->second.flag;
            } else {
                out.flags |= it->second.flag;
                out.clear_flags &= ~it->second.flag;
            }
            if (o == "bind") out.bind = true;
            if (o == "rbind") out.bind = out.recursive_bind = true;
        } else if (auto p = propagation_table().find(o); p != propagation_table().end()) {
            out.propagation.push_back(p->second);
        } else {
            // Anything else is the filesystem's own option (size=, mode=, gid=...).
            if (!out.data.empty()) out.data += ",";
            out.data += o;
        }
    }
    return out;
}

std::vector<std::string> known_mount_options() {
    std::vector<std::string> v;
    for (auto& [k, _] : flag_table()) v.push_back(k);
    for (auto& [k, _] : propagation_table()) v.push_back(k);
    return v;
}

}  // namespace myrt::runtime
