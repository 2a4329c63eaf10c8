#include "spec/seccomp_names.hpp"

#include <algorithm>
#include <cctype>

namespace myrt::spec {

const std::vector<std::string>& seccomp_action_names() {
    static const std::vector<std::string> names = {
        "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD",  "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
        "SCMP_ACT_TRAP",
    };
    return names;
}

const std::vector<std::string>& seccomp_operator_names() {
    static const std::vector<std::string> names = {
        "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",        "SCMP_CMP_LE",
        "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
    };
    return names;
}

const std::vector<std::string>& seccomp_arch_names() {
    static const std::vector<std::string> names = {
        "SCMP_ARCH_AARCH64",  "SCMP_ARCH_ARM",        "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",
        "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
        "SCMP_ARCH_PARISC",   "SCMP_ARCH_PARISC64",   "SCMP_ARCH_PPC",      "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_RISCV64",    "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",
        "SCMP_ARCH_X32",      "SCMP_ARCH_X86",        "SCMP_ARCH_X86_64",
    };
    return names;
}

const std::vector<std::string>& seccomp_flag_names() {
    static const std::vector<std::string> names = {
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    };
    return names;
}

std::string libseccomp_arch_name(std::string_view oci_name) {
    constexpr std::string_view prefix = "SCMP_ARCH_";
    if (oci_name.starts_with(prefix)) oci_name.remove_prefix(prefix.size());
    std::string out(oci_name);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool is_known(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace myrt::spec
