#pragma once
// Translates OCI mount options ("ro", "nosuid", "rbind", "rprivate", "size=64k")
// into mount(2) flags, propagation flags and the filesystem data string.
#include <string>
#include <vector>

namespace myrt::runtime {

struct MountOptions {
    unsigned long flags = 0;             // MS_RDONLY, MS_NOSUID, ... (MS_BIND|MS_REC for rbind)
    unsigned long clear_flags = 0;       // flags explicitly turned off ("rw", "suid")
    std::vector<unsigned long> propagation;  // MS_PRIVATE|MS_REC ... applied after the mount
    std::string data;                    // comma-joined options the filesystem interprets
    bool bind = false;
    bool recursive_bind = false;
};

MountOptions parse_mount_options(const std::vector<std::string>& options);
// The option names this runtime understands (for `features`).
std::vector<std::string> known_mount_options();

}  // namespace myrt::runtime
