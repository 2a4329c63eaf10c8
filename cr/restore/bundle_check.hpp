#pragma once
// The image is untrusted: before it is restored into a bundle, what it asks
// for must be something the bundle's config.json grants.
#include "cr/restore/image_index.hpp"
#include "spec/config.hpp"

namespace myrt::cr {

// Throws a myrt::Error naming the first mismatch: namespaces, capabilities
// beyond the bounding set, ids a process could not have reached, a missing
// seccomp filter or no_new_privs.
void check_image_against_bundle(const ImageIndex& idx, const spec::Config& config);

}  // namespace myrt::cr
