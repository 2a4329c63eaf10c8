#pragma once
// Namespaces from linux.namespaces: which to create (clone flags), which to
// join by path (setns), and the user namespace's id maps.
#include <sys/types.h>

#include <string>
#include <vector>

#include "spec/config.hpp"
#include "util/fd.hpp"

namespace myrt::runtime {

int clone_flag_for(const std::string& type);   // "pid" -> CLONE_NEWPID
const char* proc_ns_name(const std::string& type);  // "network" -> "net"

struct NamespacePlan {
    int new_flags = 0;  // every namespace to create
    struct Join {
        std::string type;
        int flag = 0;
        UniqueFd fd;  // opened by the runtime before clone, so the path is checked early
    };
    std::vector<Join> joins;
    bool has(int flag) const { return (new_flags & flag) != 0; }
    bool joins_type(const std::string& t) const;
};

NamespacePlan plan_namespaces(const spec::Config& c);

// linux.sysctl keys whose namespace is joined by a path that is the runtime's
// own namespace (/proc/self/ns/net, say) would change the host: refused, as
// runc does, before the container is made.
void refuse_sysctls_of_runtime_namespaces(const spec::Config& c, const NamespacePlan& p);

// Writes /proc/PID/{uid_map,setgroups,gid_map} for a child in a new user namespace.
void write_id_maps(pid_t pid, const spec::Linux& l);
// Writes /proc/self/timens_offsets after unshare(CLONE_NEWTIME), before any task joins.
void write_time_offsets(const std::map<std::string, spec::TimeOffset>& offsets);

}  // namespace myrt::runtime
