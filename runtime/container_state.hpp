#pragma once
// What the runtime remembers about a container between commands, and the
// store that keeps it: one directory per container under --root.
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/file_lock.hpp"

namespace myrt::runtime {

enum class Status { creating, created, running, paused, stopped };
const char* status_name(Status s);

struct ContainerState {
    std::string id;
    std::string bundle;             // absolute
    std::string rootfs;             // absolute
    pid_t pid = 0;                  // host pid of the container's init
    unsigned long long pid_start_time = 0;  // /proc/PID/stat starttime: detects pid reuse
    std::string created;            // RFC 3339 with nanoseconds
    std::string owner;
    std::map<std::string, std::string> annotations;
    nlohmann::json cgroup;          // cgroup::Cgroup::to_json()
    bool own_pid_namespace = true;  // kill --all needs the cgroup when false
    nlohmann::json config;          // the config.json used at create (updated by `update`)

    nlohmann::json to_json() const;
    static ContainerState from_json(const nlohmann::json& j);
};

class StateStore {
public:
    explicit StateStore(std::string root);

    const std::string& root() const { return root_; }
    std::string dir(const std::string& id) const { return root_ + "/" + id; }
    std::string exec_fifo(const std::string& id) const { return dir(id) + "/exec.fifo"; }

    // Creates the container's directory; an id in use is an error.
    void create_dir(const std::string& id) const;
    // Takes the container's lock; throws "container X does not exist" when absent.
    FileLock lock(const std::string& id) const;
    bool exists(const std::string& id) const;
    ContainerState load(const std::string& id) const;
    void save(const ContainerState& st) const;
    void remove(const std::string& id) const;
    std::vector<std::string> list() const;

private:
    std::string root_;
};

// Validates a container id (runc's rule: [\w+-\.]+, no path tricks).
void validate_id(const std::string& id);

}  // namespace myrt::runtime
