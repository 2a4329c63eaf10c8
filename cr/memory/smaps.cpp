#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <sstream>

#include "cr/memory/vma.hpp"
#include "cr/ptrace/proc_scan.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

uint64_t flag_for(const char* two) {
    struct Entry {
        char name[3];
        uint64_t bit;
    };
    static constexpr Entry table[] = {
        {"rd", vm_read},        {"wr", vm_write},         {"ex", vm_exec},         {"sh", vm_shared},
        {"mw", vm_maywrite},    {"gd", vm_growsdown},     {"lo", vm_locked},       {"dc", vm_dontcopy},
        {"de", vm_dontexpand},  {"ac", vm_account},       {"nr", vm_noreserve},    {"ht", vm_hugetlb},
        {"dd", vm_dontdump},    {"sd", vm_softdirty},     {"mm", vm_mixedmap},     {"hg", vm_hugepage},
        {"nh", vm_nohugepage},  {"mg", vm_mergeable},     {"wf", vm_wipeonfork},   {"io", vm_io},
        {"pf", vm_pfnmap},      {"sl", vm_seal},          {"rr", vm_random},       {"sr", vm_seqread},
    };
    for (const auto& e : table)
        if (e.name[0] == two[0] && e.name[1] == two[1]) return e.bit;
    return 0;
}

VmaKind kind_for(const std::string& path, uint64_t inode) {
    if (path == "[heap]") return VmaKind::heap;
    if (path == "[stack]") return VmaKind::stack;
    if (path == "[vdso]") return VmaKind::vdso;
    if (path == "[vvar]") return VmaKind::vvar;
    if (path == "[vvar_vclock]") return VmaKind::vvar_vclock;
    if (path == "[vsyscall]") return VmaKind::vsyscall;
    if (!path.empty() && path[0] == '[') return VmaKind::other;
    if (path.rfind("/SYSV", 0) == 0) return VmaKind::sysv_shm;  // cr/ipc: inode is the shmid (0 is valid)
    // Shared anonymous memory shows as "/dev/zero (deleted)" or "/SYSV..." on
    // an internal shmem inode; only a real path with an inode is a file.
    if (path.empty() || inode == 0) return VmaKind::anonymous;
    if (path.rfind("/dev/zero", 0) == 0 || path.rfind("/SYSV", 0) == 0) return VmaKind::anonymous;
    return VmaKind::file;
}

}  // namespace

std::vector<Vma> parse_smaps(const std::string& text) {
    std::vector<Vma> vmas;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        // A header line starts with a hex range; attribute lines start with a
        // capitalised key ("Size:", "VmFlags:").
        unsigned long long start, end, off, ino;
        unsigned maj, min;
        char perms[5] = {};
        int path_at = 0;
        if (std::sscanf(line.c_str(), "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj, &min,
                        &ino, &path_at) >= 7) {
            Vma v;
            v.rec.start = start;
            v.rec.end = end;
            v.rec.pgoff = off;
            v.rec.inode = ino;
            v.rec.dev_major = maj;
            v.rec.dev_minor = min;
            v.rec.prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                         (perms[2] == 'x' ? PROT_EXEC : 0);
            v.rec.shared = perms[3] == 's';
            if (path_at > 0 && static_cast<size_t>(path_at) <= line.size()) v.path = line.substr(path_at);
            constexpr std::string_view deleted = " (deleted)";
            if (v.path.size() > deleted.size() && v.path.ends_with(deleted)) {
                v.rec.deleted = 1;
                v.path.resize(v.path.size() - deleted.size());
            }
            v.rec.kind = kind_for(v.path, ino);
            vmas.push_back(std::move(v));
            continue;
        }
        if (line.rfind("VmFlags:", 0) == 0 && !vmas.empty()) {
            std::istringstream flags(line.substr(8));
            std::string f;
            while (flags >> f)
                if (f == "uw") vmas.back().uffd_wp = true;
                else if (f.size() == 2) vmas.back().rec.vm_flags |= flag_for(f.c_str());
        }
    }
    return vmas;
}

std::vector<Vma> read_vmas(int pid) {
    return parse_smaps(read_proc_file(fmt::format("/proc/{}/smaps", pid)));
}

}  // namespace myrt::cr
