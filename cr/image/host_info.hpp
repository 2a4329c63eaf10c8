#pragma once
// What HEAD records about the machine that wrote an image, and the checks a
// restore makes against the machine it runs on.
#include "cr/image/records.hpp"

#include <string>

namespace myrt::cr::image {

struct CpuFeatures {
    uint64_t xsave_features = 0;  // XCR0, 0 when the OS has not enabled XSAVE
    uint32_t xsave_size = 0;
};

CpuFeatures host_cpu_features();
uint32_t host_arch();
std::string arch_name(uint32_t arch);

// A HEAD for this machine and this myrt, with the given HEAD flags.
HeadRecord make_head(uint64_t flags);

// Throws unless every XSAVE component the image may use is enabled here
// (restoring FPU state with a component the CPU lacks would fault).
void check_cpu_compatible(const HeadRecord& head);

}  // namespace myrt::cr::image
