#pragma once
// The seccomp vocabulary of the OCI spec (actions, operators, architectures,
// filter flags), shared by validation and `features`.
#include <string>
#include <string_view>
#include <vector>

namespace myrt::spec {

const std::vector<std::string>& seccomp_action_names();    // SCMP_ACT_*
const std::vector<std::string>& seccomp_operator_names();  // SCMP_CMP_*
const std::vector<std::string>& seccomp_arch_names();      // SCMP_ARCH_*
const std::vector<std::string>& seccomp_flag_names();      // SECCOMP_FILTER_FLAG_*

// libseccomp's own name for an OCI arch ("SCMP_ARCH_X86_64" -> "x86_64"),
// as seccomp_arch_resolve_name() expects it.
std::string libseccomp_arch_name(std::string_view oci_name);

bool is_known(const std::vector<std::string>& names, std::string_view name);

}  // namespace myrt::spec
