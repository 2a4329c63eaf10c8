#include "runtime/state_json.hpp"

#include "myrt_version.hpp"

namespace myrt::runtime {

nlohmann::json oci_state(const ContainerState& st, Status status) {
    nlohmann::json j{{"ociVersion", MYRT_OCI_VERSION},
                     {"id", st.id},
                     {"pid", status == Status::stopped ? 0 : st.pid},
                     {"status", status_name(status)},
                     {"bundle", st.bundle},
                     {"rootfs", st.rootfs},
                     {"created", st.created},
                     {"owner", st.owner}};
    j["annotations"] = st.annotations;
    return j;
}

}  // namespace myrt::runtime
