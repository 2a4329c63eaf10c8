#pragma once
// A container's cgroup across every hierarchy the host mounts: cgroup v1 (one
// hierarchy per controller or co-mounted group), v2 (one unified hierarchy) or
// hybrid (v1 controllers plus a v2 hierarchy at /sys/fs/cgroup/unified, which
// holds whatever controllers v1 left over, e.g. hugetlb, and the v2 freezer).
// See docs/cgroups.md for what maps to what.
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/config.hpp"

namespace myrt::cgroup {

enum class Layout { v1, v2, hybrid };
Layout detect_layout();  // from /proc/self/mountinfo
std::string to_string(Layout layout);

enum class FreezerState { thawed, freezing, frozen };
std::string to_string(FreezerState state);
// Which freezer freeze() uses. `preferred` is the v1 freezer when mounted, else v2 cgroup.freeze.
// On a hybrid host `v2` is also possible (every container process is in the unified hierarchy
// too); it does not have the v1 freezer's stopped-task/ptrace hang, so checkpoint may want it.
enum class FreezerChoice { preferred, v1, v2 };

// One mounted cgroup hierarchy and the container's directory in it.
struct Hierarchy {
    std::string mount_point;               // /sys/fs/cgroup/cpu,cpuacct
    std::vector<std::string> controllers;  // {"cpu","cpuacct"}, {"name=systemd"}; empty for v2
    std::string dir;                       // the container's directory in this hierarchy
};

class Cgroup {
public:
    // cgroups_path: linux.cgroupsPath ("" -> "<parent>/<id>"; absolute paths are taken from each
    // hierarchy's root; relative ones are placed under the runtime's own cgroup as runc does;
    // systemd-style "slice:prefix:name" becomes "<expanded slice>/<prefix>-<name>.scope").
    // Computes the per-hierarchy directories, creates nothing.
    static Cgroup for_container(const std::string& cgroups_path, const std::string& id,
                                const std::string& parent = "/myrt");
    static Cgroup from_json(const nlohmann::json& j);  // persisted in the container's state
    nlohmann::json to_json() const;

    void create();                         // mkdir -p in every hierarchy; idempotent
    // For a caller without real root (docs/rootless.md): create() in every hierarchy where the
    // caller may (a delegated subtree); the others are left out of this cgroup. Returns the
    // directories left out, each with the error that refused it.
    std::map<std::string, std::string> create_where_permitted();
    bool has_hierarchies() const { return !v1_.empty() || !unified_.dir.empty(); }
    void apply(const spec::Resources& r);  // write limits (create and `update`)
    void add_process(pid_t pid);           // cgroup.procs in every hierarchy
    // exec --cgroup: `below` maps a v1 controller (or "" for every hierarchy,
    // the unified one included) to an existing sub-cgroup of the container's.
    void add_process_below(pid_t pid, const std::map<std::string, std::string>& below);
    // Waits until the state reads FROZEN (bounded: 5 s, then thaws back and throws).
    void freeze(FreezerChoice which = FreezerChoice::preferred);
    void thaw();                         // whichever freezer is holding the cgroup, or both
    FreezerState freezer_state() const;  // of either freezer; thawed when the cgroup is gone
    std::vector<pid_t> pids() const;     // every process of the tree, sorted; empty when gone
    void kill_all(int sig);
    void destroy();                   // rmdir bottom-up everywhere; fails if processes remain
    nlohmann::json stats() const;     // runc's `events --stats` "data" shape
    std::string path_in(const std::string& controller) const;  // "unified" for v2
    Layout layout() const { return layout_; }

    // Extras beyond the core interface.
    const std::string& cgroups_path() const { return path_; }  // normalized linux.cgroupsPath
    const std::vector<Hierarchy>& v1_hierarchies() const { return v1_; }
    const std::string& unified_dir() const { return unified_.dir; }  // "" without a v2 hierarchy
    const std::string& unified_mount() const { return unified_.mount_point; }
    bool has_controller(const std::string& controller) const;  // in a v1 hierarchy or enabled-able in v2
    bool uses_v1_freezer() const;  // what FreezerChoice::preferred resolves to
    bool exists() const;  // the directory exists in every hierarchy

private:
    Layout layout_ = Layout::v2;
    std::string path_;
    std::vector<Hierarchy> v1_;
    Hierarchy unified_;  // dir empty when there is no v2 hierarchy
    bool partial_ = false;  // create_where_permitted() left hierarchies out

    const Hierarchy* v1_for(const std::string& controller) const;
    bool v2_has(const std::string& controller) const;
    void enable_v2_controllers();
    void apply_v1(const spec::Resources& r);
    void apply_v2(const spec::Resources& r);
    void apply_hugetlb(const spec::Resources& r);
    void apply_unified(const spec::Resources& r);
    void freeze_v1(const std::string& dir);
    void freeze_v2(const std::string& dir);
    std::string procs_dir() const;
};

// The controllers in which `r` sets a limit, i.e. where apply() would write a file ("unified" for
// linux.resources.unified); device rules are not counted.
std::vector<std::string> limited_controllers(const spec::Resources& r);
// A clear error when `r` sets a limit in a hierarchy that create_where_permitted() left out of
// `planned` (the cgroup as for_container() computed it): runc refuses such a config as well.
void check_limits_settable(const Cgroup& planned, const std::map<std::string, std::string>& left_out,
                           const spec::Resources& r);

// The device rules runc grants every container (null, zero, full, random, urandom, tty, console,
// ptmx, pts/*, tun, mknod of any node); a runtime appends them after linux.resources.devices.
std::vector<spec::DeviceCgroupRule> default_device_rules();

// Conversions from the OCI (v1-shaped) values to v2 files, as runc does them.
uint64_t cpu_shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI swap is memory+swap; v2 memory.swap.max is swap alone. -1 is "max", 0 "unset".
int64_t memory_swap_to_v2(int64_t swap, int64_t memory);

// Mounts the cgroup filesystem view for a container at `target` (an absolute host path inside the
// container's rootfs, already created), as runc does for a mount of type "cgroup": v2 -> cgroup2
// (bind of the container's dir without a cgroup namespace); v1/hybrid -> a tmpfs at target with
// each hierarchy mounted (cgroupns) or bind-mounted from the container's own dir in a
// subdirectory, plus "unified" for hybrid, and the host's symlinks (cpu -> cpu,cpuacct).
// Honours MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC in `flags`. Runs inside the container's
// mount namespace before pivot_root.
void mount_cgroup_tree(const std::string& target, unsigned long flags, bool cgroupns, const Cgroup& cg);

}  // namespace myrt::cgroup
