// The OCI features document (`myrt features`), runtime-spec 1.1 shape. The
// seccomp part asks libseccomp and the kernel what works here, as runc does.
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "myrt_version.hpp"
#include "spec/capabilities_table.hpp"
#include "spec/config.hpp"
#include "spec/linux_names.hpp"
#include "spec/mount_options.hpp"
#include "spec/seccomp_names.hpp"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace myrt::spec {
namespace {

using nlohmann::json;

// libseccomp API levels (seccomp_api_get(3)) at which each feature appeared.
constexpr unsigned kApiLogAndKillProcess = 3;
constexpr unsigned kApiNotify = 5;

std::vector<std::string> seccomp_actions(unsigned api) {
    std::vector<std::string> out;
    for (auto& action : seccomp_action_names()) {
        if ((action == "SCMP_ACT_LOG" || action == "SCMP_ACT_KILL_PROCESS") && api < kApiLogAndKillProcess) continue;
        if (action == "SCMP_ACT_NOTIFY" && api < kApiNotify) continue;
        out.push_back(action);
    }
    return out;
}

std::vector<std::string> seccomp_archs() {
    std::vector<std::string> out;
    for (auto& arch : seccomp_arch_names())
        if (seccomp_arch_resolve_name(libseccomp_arch_name(arch).c_str()) != 0) out.push_back(arch);
    return out;
}

// The kernel checks flags before it reads the filter: with a NULL program a
// known flag fails with EFAULT, an unknown one with EINVAL. Nothing is installed.
bool kernel_accepts_filter_flags(unsigned long flags) {
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, nullptr);
    return rc < 0 && errno == EFAULT;
}

std::vector<std::string> seccomp_supported_flags(unsigned api) {
    struct Probe {
        const char* name;
        unsigned min_api;
        unsigned long kernel_flags;
    };
    // WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER.
    const Probe probes[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", 2, SECCOMP_FILTER_FLAG_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", 3, SECCOMP_FILTER_FLAG_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 7,
         SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
    };
    std::vector<std::string> out;
    for (auto& p : probes)
        if (api >= p.min_api && kernel_accepts_filter_flags(p.kernel_flags)) out.push_back(p.name);
    return out;
}

std::string libseccomp_version() {
    const scmp_version* v = seccomp_version();
    return fmt::format("{}.{}.{}", v->major, v->minor, v->micro);
}

}  // namespace

json features() {
    unsigned api = seccomp_api_get();
    std::vector<std::string> namespaces = namespace_type_names();
    std::sort(namespaces.begin(), namespaces.end());
    return {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", MYRT_OCI_VERSION},
        {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
        {"mountOptions", mount_option_names()},
        {"linux",
         {
             {"namespaces", namespaces},
             {"capabilities", all_capability_names()},
             {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
             {"seccomp",
              {
                  {"enabled", true},
                  {"actions", seccomp_actions(api)},
                  {"operators", seccomp_operator_names()},
                  {"archs", seccomp_archs()},
                  {"knownFlags", seccomp_flag_names()},
                  {"supportedFlags", seccomp_supported_flags(api)},
              }},
             {"apparmor", {{"enabled", false}}},
             {"selinux", {{"enabled", false}}},
             {"intelRdt", {{"enabled", false}}},
             {"mountExtensions", {{"idmap", {{"enabled", false}}}}},
         }},
        {"annotations",
         {
             {"io.github.myrt.version", MYRT_VERSION},
             {"io.github.seccomp.libseccomp.version", libseccomp_version()},
             // Callers that learned runc's key read it to decide whether to offer checkpoint.
             {"org.opencontainers.runc.checkpoint.enabled", "true"},
         }},
    };
}

}  // namespace myrt::spec
