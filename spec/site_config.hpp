#pragma once
// The runtime configuration a site sets once (/etc/myrt/myrt.yaml): defaults
// for the global flags and for checkpoint. Command-line flags override it.
// The format is documented by example in spec/myrt.yaml.example.
#include <string>

namespace myrt::spec {

inline constexpr const char* kDefaultSiteConfigPath = "/etc/myrt/myrt.yaml";

struct SiteConfig {
    std::string root = "/run/myrt";        // state directory (--root)
    std::string log_level = "info";        // debug | info | warning | error
    std::string log_format = "text";       // text | json (--log-format)
    std::string cgroup_layout = "auto";    // auto | v1 | v2 | hybrid
    std::string cgroup_parent = "/myrt";   // parent of relative cgroupsPath values
    struct {
        std::string image_dir_default;     // empty: ./checkpoint, as runc
        bool leave_running = false;
        bool file_locks = false;
        bool tcp_established = false;
    } checkpoint;
};

// Reads the file at `path`. A missing file gives the defaults unless
// must_exist (an explicit --config FILE); a bad value or an unknown key is a
// myrt::Error naming the file and the key.
SiteConfig load_site_config(const std::string& path, bool must_exist);
// Parses YAML text; `name` prefixes error messages (usually the file path).
SiteConfig parse_site_config(const std::string& text, const std::string& name);

}  // namespace myrt::spec
