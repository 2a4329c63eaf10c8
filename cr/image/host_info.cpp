#include "cr/image/host_info.hpp"

#include "myrt_version.hpp"
#include "util/error.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace myrt::cr::image {

namespace {

template <size_t N>
void copy_field(char (&dst)[N], const char* src) {
    std::memset(dst, 0, N);
    std::strncpy(dst, src, N - 1);
}

}  // namespace

CpuFeatures host_cpu_features() {
    CpuFeatures f;
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
    if (!(ecx & bit_OSXSAVE)) return f;  // xgetbv faults unless the OS enabled XSAVE
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    f.xsave_features = (static_cast<uint64_t>(hi) << 32) | lo;
    if (__get_cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx)) f.xsave_size = ebx;
#endif
    return f;
}

uint32_t host_arch() {
#if defined(__x86_64__)
    return arch_x86_64;
#elif defined(__aarch64__)
    return arch_aarch64;
#else
#error "unsupported architecture"
#endif
}

std::string arch_name(uint32_t arch) {
    switch (arch) {
        case arch_x86_64: return "x86_64";
        case arch_aarch64: return "aarch64";
        default: return fmt::format("unknown architecture {}", arch);
    }
}

HeadRecord make_head(uint64_t flags) {
    if (flags & ~known_head_flags) fail("HEAD flags {:#x} include unknown bits {:#x}", flags, flags & ~known_head_flags);
    HeadRecord h{};
    h.magic = head_magic;
    h.format_version = format_version;
    h.arch = host_arch();
    h.flags = flags;
    h.time_sec = static_cast<int64_t>(::time(nullptr));
    CpuFeatures cpu = host_cpu_features();
    h.xsave_features = cpu.xsave_features;
    h.xsave_size = cpu.xsave_size;
    h.page_size = static_cast<uint32_t>(::sysconf(_SC_PAGESIZE));
    copy_field(h.runtime_version, MYRT_VERSION);
    utsname u{};
    check(::uname(&u), "uname");
    copy_field(h.uts_release, u.release);
    copy_field(h.uts_version, u.version);
    copy_field(h.uts_machine, u.machine);
    return h;
}

void check_cpu_compatible(const HeadRecord& head) {
    CpuFeatures host = host_cpu_features();
    uint64_t missing = head.xsave_features & ~host.xsave_features;
    if (missing)
        fail("the image was taken on a CPU with XSAVE features {:#x}, this CPU has {:#x}: components {:#x} are missing",
             head.xsave_features, host.xsave_features, missing);
    auto page = static_cast<uint32_t>(::sysconf(_SC_PAGESIZE));
    if (head.page_size != page)
        fail("the image was taken with {}-byte pages, this machine uses {}-byte pages", head.page_size, page);
}

}  // namespace myrt::cr::image
