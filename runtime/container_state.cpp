#include "runtime/container_state.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "runtime/fs_util.hpp"
#include "util/error.hpp"

namespace myrt::runtime {

const char* status_name(Status s) {
    switch (s) {
        case Status::creating: return "creating";
        case Status::created: return "created";
        case Status::running: return "running";
        case Status::paused: return "paused";
        case Status::stopped: return "stopped";
    }
    return "unknown";
}

nlohmann::json ContainerState::to_json() const {
    return {{"id", id},           {"bundle", bundle},   {"rootfs", rootfs},
            {"pid", pid},         {"pid_start_time", pid_start_time},
            {"created", created}, {"owner", owner},     {"annotations", annotations},
            {"cgroup", cgroup},   {"own_pid_namespace", own_pid_namespace},
            {"config", config}};
}

ContainerState ContainerState::from_json(const nlohmann::json& j) {
    ContainerState s;
    s.id = j.at("id").get<std::string>();
    s.bundle = j.value("bundle", "");
    s.rootfs = j.value("rootfs", "");
    s.pid = j.value("pid", 0);
    s.pid_start_time = j.value("pid_start_time", 0ULL);
    s.created = j.value("created", "");
    s.owner = j.value("owner", "");
    if (j.contains("annotations")) s.annotations = j["annotations"].get<std::map<std::string, std::string>>();
    s.cgroup = j.value("cgroup", nlohmann::json::object());
    s.own_pid_namespace = j.value("own_pid_namespace", true);
    s.config = j.value("config", nlohmann::json::object());
    return s;
}

void validate_id(const std::string& id) {
    if (id.empty()) fail("container id must not be empty");
    if (id.size() > 1024) fail("container id is too long");
    bool ok = std::all_of(id.begin(), id.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.';
    });
    if (!ok || id == "." || id == "..") fail("invalid container id \"{}\": only letters, digits and _+-. are allowed", id);
}

StateStore::StateStore(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

void StateStore::create_dir(const std::string& id) const {
    validate_id(id);
    mkdir_p(root_, 0700);
    if (::mkdir(dir(id).c_str(), 0700) != 0) {
        if (errno == EEXIST) fail("container with id \"{}\" already exists", id);
        throw_errno("create state directory {}", dir(id));
    }
}

bool StateStore::exists(const std::string& id) const {
    return runtime::exists(dir(id) + "/state.json");
}

FileLock StateStore::lock(const std::string& id) const {
    validate_id(id);
    if (!runtime::exists(dir(id))) fail("container \"{}\" does not exist", id);
    FileLock l(dir(id) + "/lock");
    // The container may have been deleted while we waited for the lock.
    if (!runtime::exists(dir(id) + "/state.json")) {
        ::unlink((dir(id) + "/lock").c_str());
        fail("container \"{}\" does not exist", id);
    }
    return l;
}

ContainerState StateStore::load(const std::string& id) const {
    validate_id(id);
    std::string path = dir(id) + "/state.json";
    if (!runtime::exists(path)) fail("container \"{}\" does not exist", id);
    try {
        return ContainerState::from_json(nlohmann::json::parse(read_file(path)));
    } catch (const nlohmann::json::exception& e) {
        fail("state of container \"{}\" is corrupt ({}): {}", id, path, e.what());
    }
}

void StateStore::save(const ContainerState& st) const {
    write_file_atomic(dir(st.id) + "/state.json", st.to_json().dump(), 0600);
}

void StateStore::remove(const std::string& id) const {
    std::error_code ec;
    std::filesystem::remove_all(dir(id), ec);
    if (ec) throw SystemError(ec.value(), "remove state directory " + dir(id));
}

std::vector<std::string> StateStore::list() const {
    std::vector<std::string> ids;
    DIR* d = ::opendir(root_.c_str());
    if (!d) return ids;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (runtime::exists(dir(name) + "/state.json")) ids.push_back(name);
    }
    ::closedir(d);
    std::sort(ids.begin(), ids.end());
    return ids;
}

}  // namespace myrt::runtime
