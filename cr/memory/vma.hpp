#pragma once
// One virtual memory area as dumped. VmaRecord is fixed-layout (plain old
// data, explicit widths, no padding holes) so it can be written as an image
// record as is; the path travels next to it.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace myrt::cr {

enum class VmaKind : uint32_t {
    anonymous = 1,    // private or shared anonymous memory
    file = 2,         // a file mapping (path, offset)
    heap = 3,         // [heap]
    stack = 4,        // [stack]
    vdso = 5,         // [vdso]
    vvar = 6,         // [vvar]
    vvar_vclock = 7,  // [vvar_vclock]
    vsyscall = 8,     // [vsyscall]: fixed by the kernel, never touched
    other = 9,        // another special mapping ([uprobes], ...): refused on restore
    // --- cr/ipc: a whole SysV shared memory segment; inode is its shmid, its contents
    // are in the image's IPC section and the restore attaches it with shmat ---
    sysv_shm = 10,
};

// VmFlags letters (fs/proc/task_mmu.c show_smap_vma_flags) that a restore acts on.
enum VmFlag : uint64_t {
    vm_read = 1ull << 0,        // rd
    vm_write = 1ull << 1,       // wr
    vm_exec = 1ull << 2,        // ex
    vm_shared = 1ull << 3,      // sh
    vm_maywrite = 1ull << 4,    // mw
    vm_growsdown = 1ull << 5,   // gd
    vm_locked = 1ull << 6,      // lo
    vm_dontcopy = 1ull << 7,    // dc  (MADV_DONTFORK)
    vm_dontexpand = 1ull << 8,  // de
    vm_account = 1ull << 9,     // ac
    vm_noreserve = 1ull << 10,  // nr
    vm_hugetlb = 1ull << 11,    // ht
    vm_dontdump = 1ull << 12,   // dd  (MADV_DONTDUMP)
    vm_softdirty = 1ull << 13,  // sd
    vm_mixedmap = 1ull << 14,   // mm
    vm_hugepage = 1ull << 15,   // hg  (MADV_HUGEPAGE)
    vm_nohugepage = 1ull << 16, // nh  (MADV_NOHUGEPAGE)
    vm_mergeable = 1ull << 17,  // mg  (MADV_MERGEABLE)
    vm_wipeonfork = 1ull << 18, // wf  (MADV_WIPEONFORK)
    vm_io = 1ull << 19,         // io
    vm_pfnmap = 1ull << 20,     // pf
    vm_seal = 1ull << 21,       // sl
    vm_random = 1ull << 22,     // rr  (MADV_RANDOM)
    vm_seqread = 1ull << 23,    // sr  (MADV_SEQUENTIAL)
};

struct VmaRecord {
    uint64_t start;
    uint64_t end;
    uint64_t pgoff;      // file offset in bytes
    uint64_t vm_flags;   // VmFlag bits
    uint64_t inode;
    uint32_t dev_major;
    uint32_t dev_minor;
    uint32_t prot;       // PROT_READ | PROT_WRITE | PROT_EXEC
    uint32_t shared;     // 1 = MAP_SHARED, 0 = MAP_PRIVATE
    VmaKind kind;
    uint32_t deleted;    // the file was unlinked ("(deleted)")
};
static_assert(std::is_trivially_copyable_v<VmaRecord> && sizeof(VmaRecord) == 64);

struct Vma {
    VmaRecord rec{};
    std::string path;  // file path, or the [name] of a special mapping
    // smaps "uw": registered for userfaultfd write protection (dirty tracking,
    // write_tracking.hpp). Never written to the image.
    bool uffd_wp = false;

    uint64_t size() const { return rec.end - rec.start; }
    bool is_file() const { return rec.kind == VmaKind::file; }
    bool is_special() const {
        return rec.kind == VmaKind::vdso || rec.kind == VmaKind::vvar || rec.kind == VmaKind::vvar_vclock ||
               rec.kind == VmaKind::vsyscall || rec.kind == VmaKind::other;
    }
};

// Parses /proc/PID/smaps (ranges, protections, path, VmFlags).
std::vector<Vma> read_vmas(int pid);
// Parses smaps text (exposed for tests of the parser).
std::vector<Vma> parse_smaps(const std::string& text);

}  // namespace myrt::cr
