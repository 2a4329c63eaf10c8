#pragma once
// The OCI state document (`state` output, hooks' stdin).
#include <nlohmann/json.hpp>

#include "runtime/container_state.hpp"

namespace myrt::runtime {
nlohmann::json oci_state(const ContainerState& st, Status status);
}
