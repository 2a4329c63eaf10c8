#include "runtime/state_json.hpp"

#include "myrt_version.hpp"

namespace myrt::runtime {

nlohmann::ordered_json oci_state(const ContainerState& st, Status status) {
    nlohmann::ordered_json j;
    j["ociVersion"] = MYRT_OCI_VERSION;
    j["id"] = st.id;
    j["pid"] = status == Status::stopped ? 0 : st.pid;
    j["status"] = status_name(status);
    j["bundle"] = st.bundle;
    j["rootfs"] = st.rootfs;
    j["created"] = st.created;
    if (!st.annotations.empty()) j["annotations"] = st.annotations;
    j["owner"] = st.owner;
    return j;
}

nlohmann::ordered_json hook_state(const ContainerState& st, Status status) {
    nlohmann::ordered_json j;
    j["ociVersion"] = MYRT_OCI_VERSION;
    j["id"] = st.id;
    j["status"] = status_name(status);
    if (status != Status::stopped && st.pid != 0) j["pid"] = st.pid;
    j["bundle"] = st.bundle;
    if (!st.annotations.empty()) j["annotations"] = st.annotations;
    return j;
}

nlohmann::ordered_json seccomp_process_state(const ContainerState& st, Status status, int pid, const std::string& metadata) {
    nlohmann::ordered_json j;
    j["ociVersion"] = MYRT_OCI_VERSION;
    j["fds"] = {"seccompFd"};
    j["pid"] = pid;
    if (!metadata.empty()) j["metadata"] = metadata;
    j["state"] = hook_state(st, status);
    return j;
}

}  // namespace myrt::runtime
