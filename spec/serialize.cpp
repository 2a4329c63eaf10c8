// Typed model -> OCI JSON, with Go's omitempty rules so that a config runc
// wrote comes back out byte-for-byte equal in structure.
#include "spec/config.hpp"

namespace myrt::spec {
namespace {

using nlohmann::json;

template <class T>
void put_opt(json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}
void put_str(json& j, const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
}
template <class T>
void put_list(json& j, const char* key, const std::vector<T>& v) {
    if (!v.empty()) j[key] = v;
}

json user_to_json(const User& u) {
    json j = {{"uid", u.uid}, {"gid", u.gid}};
    put_opt(j, "umask", u.umask);
    put_list(j, "additionalGids", u.additional_gids);
    return j;
}

json capabilities_to_json(const Capabilities& c) {
    json j = json::object();
    put_list(j, "bounding", c.bounding);
    put_list(j, "effective", c.effective);
    put_list(j, "inheritable", c.inheritable);
    put_list(j, "permitted", c.permitted);
    put_list(j, "ambient", c.ambient);
    return j;
}

json hook_list_to_json(const std::vector<Hook>& hooks) {
    json out = json::array();
    for (auto& h : hooks) {
        json j = {{"path", h.path}};
        put_list(j, "args", h.args);
        if (h.env) j["env"] = *h.env;
        put_opt(j, "timeout", h.timeout);
        out.push_back(j);
    }
    return out;
}

json hooks_to_json(const Hooks& h) {
    json j = json::object();
    auto put = [&](const char* key, const std::vector<Hook>& list) {
        if (!list.empty()) j[key] = hook_list_to_json(list);
    };
    put("prestart", h.prestart);
    put("createRuntime", h.create_runtime);
    put("createContainer", h.create_container);
    put("startContainer", h.start_container);
    put("poststart", h.poststart);
    put("poststop", h.poststop);
    return j;
}

json id_mappings_to_json(const std::vector<IdMapping>& maps) {
    json out = json::array();
    for (auto& m : maps) out.push_back({{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}});
    return out;
}

json block_io_to_json(const BlockIoResources& b) {
    json j = json::object();
    put_opt(j, "weight", b.weight);
    put_opt(j, "leafWeight", b.leaf_weight);
    if (!b.weight_device.empty()) {
        json list = json::array();
        for (auto& d : b.weight_device) {
            json e = {{"major", d.major}, {"minor", d.minor}};
            put_opt(e, "weight", d.weight);
            put_opt(e, "leafWeight", d.leaf_weight);
            list.push_back(e);
        }
        j["weightDevice"] = list;
    }
    auto throttle = [&](const char* key, const std::vector<ThrottleDevice>& devices) {
        if (devices.empty()) return;
        json list = json::array();
        for (auto& d : devices) list.push_back({{"major", d.major}, {"minor", d.minor}, {"rate", d.rate}});
        j[key] = list;
    };
    throttle("throttleReadBpsDevice", b.throttle_read_bps_device);
    throttle("throttleWriteBpsDevice", b.throttle_write_bps_device);
    throttle("throttleReadIOPSDevice", b.throttle_read_iops_device);
    throttle("throttleWriteIOPSDevice", b.throttle_write_iops_device);
    return j;
}

json seccomp_to_json(const Seccomp& s) {
    json j = {{"defaultAction", s.default_action}};
    put_opt(j, "defaultErrnoRet", s.default_errno_ret);
    put_list(j, "architectures", s.architectures);
    put_list(j, "flags", s.flags);
    put_str(j, "listenerPath", s.listener_path);
    put_str(j, "listenerMetadata", s.listener_metadata);
    if (!s.syscalls.empty()) {
        json list = json::array();
        for (auto& sc : s.syscalls) {
            json e = {{"names", sc.names}, {"action", sc.action}};
            put_opt(e, "errnoRet", sc.errno_ret);
            if (!sc.args.empty()) {
                json args = json::array();
                for (auto& a : sc.args) {
                    json arg = {{"index", a.index}, {"value", a.value}};
                    if (a.value_two) arg["valueTwo"] = a.value_two;
                    arg["op"] = a.op;
                    args.push_back(arg);
                }
                e["args"] = args;
            }
            list.push_back(e);
        }
        j["syscalls"] = list;
    }
    return j;
}

json linux_to_json(const Linux& l) {
    json j = json::object();
    if (!l.namespaces.empty()) {
        json list = json::array();
        for (auto& ns : l.namespaces) {
            json e = {{"type", ns.type}};
            put_str(e, "path", ns.path);
            list.push_back(e);
        }
        j["namespaces"] = list;
    }
    if (!l.uid_mappings.empty()) j["uidMappings"] = id_mappings_to_json(l.uid_mappings);
    if (!l.gid_mappings.empty()) j["gidMappings"] = id_mappings_to_json(l.gid_mappings);
    if (!l.time_offsets.empty()) {
        json offsets = json::object();
        for (auto& [clock, off] : l.time_offsets) offsets[clock] = {{"secs", off.secs}, {"nanosecs", off.nanosecs}};
        j["timeOffsets"] = offsets;
    }
    if (!l.devices.empty()) {
        json list = json::array();
        for (auto& d : l.devices) {
            json e = {{"type", d.type}, {"path", d.path}};
            if (d.type != "p") {
                e["major"] = d.major;
                e["minor"] = d.minor;
            }
            put_opt(e, "fileMode", d.file_mode);
            put_opt(e, "uid", d.uid);
            put_opt(e, "gid", d.gid);
            list.push_back(e);
        }
        j["devices"] = list;
    }
    put_str(j, "cgroupsPath", l.cgroups_path);
    if (l.resources) j["resources"] = resources_to_json(*l.resources);
    put_str(j, "rootfsPropagation", l.rootfs_propagation);
    if (l.seccomp) j["seccomp"] = seccomp_to_json(*l.seccomp);
    if (!l.sysctl.empty()) j["sysctl"] = l.sysctl;
    put_list(j, "maskedPaths", l.masked_paths);
    put_list(j, "readonlyPaths", l.readonly_paths);
    put_str(j, "mountLabel", l.mount_label);
    if (l.personality) {
        json p = {{"domain", l.personality->domain}};
        put_list(p, "flags", l.personality->flags);
        j["personality"] = p;
    }
    return j;
}

}  // namespace

json process_to_json(const Process& p) {
    json j = json::object();
    if (p.terminal) j["terminal"] = true;
    if (p.console_size) j["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
    j["user"] = user_to_json(p.user);
    put_list(j, "args", p.args);
    put_list(j, "env", p.env);
    j["cwd"] = p.cwd;
    if (p.capabilities) j["capabilities"] = capabilities_to_json(*p.capabilities);
    if (!p.rlimits.empty()) {
        json list = json::array();
        for (auto& r : p.rlimits) list.push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
        j["rlimits"] = list;
    }
    if (p.no_new_privileges) j["noNewPrivileges"] = true;
    put_str(j, "apparmorProfile", p.apparmor_profile);
    put_opt(j, "oomScoreAdj", p.oom_score_adj);
    put_str(j, "selinuxLabel", p.selinux_label);
    if (auto& s = p.scheduler) {
        json sj = {{"policy", s->policy}};
        if (s->nice) sj["nice"] = s->nice;
        if (s->priority) sj["priority"] = s->priority;
        put_list(sj, "flags", s->flags);
        if (s->runtime) sj["runtime"] = s->runtime;
        if (s->deadline) sj["deadline"] = s->deadline;
        if (s->period) sj["period"] = s->period;
        j["scheduler"] = sj;
    }
    if (auto& io = p.io_priority) j["ioPriority"] = {{"class", io->io_class}, {"priority", io->priority}};
    if (auto& aff = p.exec_cpu_affinity) {
        json aj = json::object();
        put_str(aj, "initial", aff->initial);
        put_str(aj, "final", aff->final_cpus);
        j["execCPUAffinity"] = aj;
    }
    return j;
}

json resources_to_json(const Resources& r) {
    json j = json::object();
    if (!r.devices.empty()) {
        json list = json::array();
        for (auto& d : r.devices) {
            json e = {{"allow", d.allow}};
            put_str(e, "type", d.type);
            put_opt(e, "major", d.major);
            put_opt(e, "minor", d.minor);
            put_str(e, "access", d.access);
            list.push_back(e);
        }
        j["devices"] = list;
    }
    if (r.memory) {
        auto& m = *r.memory;
        json e = json::object();
        put_opt(e, "limit", m.limit);
        put_opt(e, "reservation", m.reservation);
        put_opt(e, "swap", m.swap);
        put_opt(e, "kernel", m.kernel);
        put_opt(e, "kernelTCP", m.kernel_tcp);
        put_opt(e, "swappiness", m.swappiness);
        put_opt(e, "disableOOMKiller", m.disable_oom_killer);
        put_opt(e, "useHierarchy", m.use_hierarchy);
        put_opt(e, "checkBeforeUpdate", m.check_before_update);
        j["memory"] = e;
    }
    if (r.cpu) {
        auto& c = *r.cpu;
        json e = json::object();
        put_opt(e, "shares", c.shares);
        put_opt(e, "quota", c.quota);
        put_opt(e, "burst", c.burst);
        put_opt(e, "period", c.period);
        put_opt(e, "realtimeRuntime", c.realtime_runtime);
        put_opt(e, "realtimePeriod", c.realtime_period);
        put_str(e, "cpus", c.cpus);
        put_str(e, "mems", c.mems);
        put_opt(e, "idle", c.idle);
        j["cpu"] = e;
    }
    if (r.pids) j["pids"] = {{"limit", r.pids->limit}};
    if (r.block_io) j["blockIO"] = block_io_to_json(*r.block_io);
    if (!r.hugepage_limits.empty()) {
        json list = json::array();
        for (auto& h : r.hugepage_limits) list.push_back({{"pageSize", h.page_size}, {"limit", h.limit}});
        j["hugepageLimits"] = list;
    }
    if (!r.unified.empty()) j["unified"] = r.unified;
    return j;
}

json config_to_json(const Config& c) {
    json j = {{"ociVersion", c.oci_version}};
    if (c.process) j["process"] = process_to_json(*c.process);
    json root = {{"path", c.root.path}};
    if (c.root.readonly) root["readonly"] = true;
    j["root"] = root;
    put_str(j, "hostname", c.hostname);
    put_str(j, "domainname", c.domainname);
    if (!c.mounts.empty()) {
        json list = json::array();
        for (auto& m : c.mounts) {
            json e = {{"destination", m.destination}};
            put_str(e, "type", m.type);
            put_str(e, "source", m.source);
            put_list(e, "options", m.options);
            list.push_back(e);
        }
        j["mounts"] = list;
    }
    if (json hooks = hooks_to_json(c.hooks); !hooks.empty()) j["hooks"] = hooks;
    if (!c.annotations.empty()) j["annotations"] = c.annotations;
    if (json l = linux_to_json(c.linux); !l.empty()) j["linux"] = l;
    return j;
}

}  // namespace myrt::spec
