#pragma once
// Every record type of the myrt image, with its fixed payload layout. This is
// the one place the on-disk schema lives (docs/image-format.md describes it):
// later subsystems append their types in their own number range and add a
// row to `record_types` below, so the strict reader knows every type's size.
//
// Layout rules: little-endian, every struct a multiple of 8 bytes with
// explicit padding (no compiler-inserted holes), fixed-width integers only.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

namespace myrt::cr::image {

static_assert(std::endian::native == std::endian::little,
              "the image is little-endian; a big-endian port needs byte swapping in the reader and writer");

// "myrtHEAD" and "myrtTAIL" read as little-endian u64: visible in a hex dump.
inline constexpr uint64_t head_magic = 0x444145487472796dULL;
inline constexpr uint64_t tail_magic = 0x4c4941547472796dULL;
// Bumped on any incompatible change to a record layout; the reader accepts only this one.
inline constexpr uint32_t format_version = 1;

// Architecture ids are ELF e_machine values.
inline constexpr uint32_t arch_x86_64 = 62;
inline constexpr uint32_t arch_aarch64 = 183;

// Number ranges by subsystem. Values are never reused once released.
enum class RecordType : uint32_t {
    // 1-99: the stream itself
    head = 1,
    tail = 2,
    buffer = 3,   // opaque bytes, <= max_buffer_len
    string = 4,   // NUL-terminated text, <= max_string_len including the NUL
    objref = 5,   // introduces a shared object: header.objref is its objref
    // 100-199: tasks (threads, credentials, signals, registers)
    // 200-299: memory
    vma = 200,
    pages = 201,  // PagesRecord, then nr_pages << page_shift bytes of contents
    // 300-399: files and pipes
    // --- cr/files (begin) ---
    fd_table = 300,  // FdTableRecord: the fds of one process; nr_fds FD records follow
    fd = 301,        // FdRecord: one fd number and the open file description it refers to
    file = 302,      // FileRecord (header.objref: the description); STRING path, then BUFFERs of a deleted file's contents
    pipe = 303,      // PipeRecord (header.objref: the pipe); BUFFERs of the data in flight follow
    // --- cr/files (end) ---
    // 310-349: fd kinds of cr/files/fd_kind_ops.hpp (eventfd, epoll, signalfd, timerfd, inotify...)
    // 350-399: task state beyond the process section (timers, file locks)
    // 400-499: namespaces
    // 500-599: SysV and POSIX IPC
    // 600-699: ttys and ptys
    // 700-799: network
};

// Record header: precedes every payload. `len` counts payload bytes only;
// the payload is followed by zero padding up to the next multiple of 8.
struct RecordHeader {
    uint32_t type;
    uint32_t flags;    // per-record flags; bits outside known_record_flags are rejected
    uint64_t len;
    uint64_t objref;   // the object this record describes or belongs to; 0 = top level
};
static_assert(sizeof(RecordHeader) == 24);

inline constexpr uint32_t known_record_flags = 0;

// HEAD flags (HeadRecord::flags).
inline constexpr uint64_t head_flag_subtree = 1ull << 0;       // a process tree, leak checks skipped
inline constexpr uint64_t head_flag_leave_running = 1ull << 1; // the source kept running after the dump
inline constexpr uint64_t known_head_flags = head_flag_subtree | head_flag_leave_running;

inline constexpr size_t uts_field_len = 72;  // utsname's 65 bytes, padded to 8

struct HeadRecord {
    uint64_t magic;
    uint32_t format_version;
    uint32_t arch;             // ELF e_machine of the writer
    uint64_t flags;
    int64_t time_sec;          // CLOCK_REALTIME when the checkpoint started
    uint64_t xsave_features;   // XCR0 (xgetbv 0): the state components the dumped FPU state may use
    uint32_t xsave_size;       // CPUID.(0DH,0).EBX: XSAVE area size for those components
    uint32_t page_size;
    char runtime_version[64];  // myrt's version, NUL-terminated
    char uts_release[uts_field_len];
    char uts_version[uts_field_len];
    char uts_machine[uts_field_len];
};
static_assert(sizeof(HeadRecord) == 328);

inline constexpr uint32_t checksum_xxh3_64 = 1;

struct TailRecord {
    uint64_t magic;
    uint64_t record_count;     // records before TAIL, HEAD included
    uint64_t stream_bytes;     // bytes before TAIL's header
    uint64_t checksum;         // over those stream_bytes bytes
    uint32_t checksum_kind;    // checksum_xxh3_64
    uint32_t reserved;         // zero
};
static_assert(sizeof(TailRecord) == 40);

// Introduces a shared object (seed 003's CKPT_HDR_OBJREF): the header's objref
// is the object's objref, the records that follow describe its state.
struct ObjrefRecord {
    uint32_t kind;             // objhash kind id (see cr/objhash)
    uint32_t reserved;
};
static_assert(sizeof(ObjrefRecord) == 8);

struct VmaRecord {
    uint64_t start;
    uint64_t end;
    uint64_t pgoff;            // in pages, for file mappings
    uint64_t file_objref;      // 0 for anonymous memory
    uint64_t vm_flags;         // smaps VmFlags as bits (memory subsystem defines them)
    uint32_t prot;             // PROT_*
    uint32_t map_flags;        // MAP_SHARED / MAP_PRIVATE / MAP_ANONYMOUS ...
};
static_assert(sizeof(VmaRecord) == 48);

struct PagesRecord {
    uint64_t vaddr;            // address of the first page
    uint64_t nr_pages;
    uint32_t page_shift;       // 12 for 4 KiB pages
    uint32_t reserved;
};
static_assert(sizeof(PagesRecord) == 24);

// --- cr/files (begin): see docs/cr-files.md ---
inline constexpr uint32_t fd_kind_file = 1;       // FdRecord::file_objref names the description
inline constexpr uint32_t fd_kind_inherited = 2;  // the container's stdio from outside: re-attached to the restorer's

inline constexpr uint32_t file_kind_regular = 1;
inline constexpr uint32_t file_kind_directory = 2;
inline constexpr uint32_t file_kind_chardev = 3;
inline constexpr uint32_t file_kind_pipe_end = 4;   // one end of the pipe PipeRecord describes
inline constexpr uint32_t file_kind_deleted = 5;    // a regular file unlinked while open; contents in the image
inline constexpr uint32_t file_kind_fifo = 6;       // a named FIFO: path, and the PIPE holding its data in flight

struct FdTableRecord {
    uint32_t nr_fds;
    uint32_t reserved;         // zero
};
static_assert(sizeof(FdTableRecord) == 8);

struct FdRecord {
    int32_t fd;
    uint32_t fd_flags;         // FD_CLOEXEC
    uint32_t kind;             // fd_kind_*
    uint32_t inherited_from;   // fd_kind_inherited: which of the caller's fds 0-2
    uint64_t file_objref;      // fd_kind_file
};
static_assert(sizeof(FdRecord) == 24);

struct FileRecord {
    uint32_t kind;             // file_kind_*
    uint32_t flags;            // file status flags and access mode (O_*), O_CLOEXEC excluded
    uint64_t pos;
    uint64_t pipe_objref;      // file_kind_pipe_end, file_kind_fifo
    uint64_t size;             // file_kind_deleted: content bytes in the BUFFERs that follow
    uint64_t rdev;             // file_kind_chardev
    uint32_t mode;             // st_mode
    uint32_t reserved;         // zero
};
static_assert(sizeof(FileRecord) == 48);

struct PipeRecord {
    uint32_t pipe_size;        // F_GETPIPE_SZ
    uint32_t reserved;         // zero
    uint64_t data_len;         // bytes in flight, in the BUFFERs that follow
};
static_assert(sizeof(PipeRecord) == 16);
// --- cr/files (end) ---

// Length limits: an image is untrusted, so no length it states is allocated
// or believed beyond these.
inline constexpr uint64_t max_buffer_len = 16ull << 20;
inline constexpr uint64_t max_string_len = 4096;
inline constexpr uint64_t max_pages_payload = 1ull << 30;  // one record; contents are streamed, never allocated whole

enum class PayloadShape : uint8_t {
    fixed,           // exactly fixed_size bytes
    fixed_then_bulk, // fixed_size bytes of struct, then bulk data whose size the struct gives
    bytes,           // any length up to max_len
    string,          // 1..max_len bytes ending in NUL
};

struct RecordTypeInfo {
    RecordType type;
    std::string_view name;
    PayloadShape shape;
    uint64_t fixed_size;
    uint64_t max_len;
    bool top_level;   // header.objref must be 0 (HEAD and TAIL)
};

inline constexpr RecordTypeInfo record_types[] = {
    {RecordType::head, "HEAD", PayloadShape::fixed, sizeof(HeadRecord), sizeof(HeadRecord), true},
    {RecordType::tail, "TAIL", PayloadShape::fixed, sizeof(TailRecord), sizeof(TailRecord), true},
    {RecordType::buffer, "BUFFER", PayloadShape::bytes, 0, max_buffer_len, false},
    {RecordType::string, "STRING", PayloadShape::string, 0, max_string_len, false},
    {RecordType::objref, "OBJREF", PayloadShape::fixed, sizeof(ObjrefRecord), sizeof(ObjrefRecord), false},
    {RecordType::vma, "VMA", PayloadShape::fixed, sizeof(VmaRecord), sizeof(VmaRecord), false},
    {RecordType::pages, "PAGES", PayloadShape::fixed_then_bulk, sizeof(PagesRecord), sizeof(PagesRecord) + max_pages_payload, false},
    // --- cr/files (begin) ---
    {RecordType::fd_table, "FD_TABLE", PayloadShape::fixed, sizeof(FdTableRecord), sizeof(FdTableRecord), false},
    {RecordType::fd, "FD", PayloadShape::fixed, sizeof(FdRecord), sizeof(FdRecord), false},
    {RecordType::file, "FILE", PayloadShape::fixed, sizeof(FileRecord), sizeof(FileRecord), false},
    {RecordType::pipe, "PIPE", PayloadShape::fixed, sizeof(PipeRecord), sizeof(PipeRecord), false},
    // --- cr/files (end) ---
};

constexpr const RecordTypeInfo* find_record_type(uint32_t type) {
    for (const auto& info : record_types)
        if (static_cast<uint32_t>(info.type) == type) return &info;
    return nullptr;
}

constexpr std::string_view record_type_name(uint32_t type) {
    const RecordTypeInfo* info = find_record_type(type);
    return info ? info->name : std::string_view("UNKNOWN");
}

// The payload struct of each fixed-layout type, so typed reads and writes can
// check at compile time that the struct matches the type.
template <RecordType T> struct PayloadOf;
template <> struct PayloadOf<RecordType::head> { using type = HeadRecord; };
template <> struct PayloadOf<RecordType::tail> { using type = TailRecord; };
template <> struct PayloadOf<RecordType::objref> { using type = ObjrefRecord; };
template <> struct PayloadOf<RecordType::vma> { using type = VmaRecord; };
template <> struct PayloadOf<RecordType::pages> { using type = PagesRecord; };
// --- cr/files (begin) ---
template <> struct PayloadOf<RecordType::fd_table> { using type = FdTableRecord; };
template <> struct PayloadOf<RecordType::fd> { using type = FdRecord; };
template <> struct PayloadOf<RecordType::file> { using type = FileRecord; };
template <> struct PayloadOf<RecordType::pipe> { using type = PipeRecord; };
// --- cr/files (end) ---

template <class T>
concept ImagePayload = std::is_trivially_copyable_v<T> && std::has_unique_object_representations_v<T> &&
                       sizeof(T) % 8 == 0;

// PAGES: the contents length its fixed part announces; false when the page
// size or count is out of range (pages of 4 KiB to 2 MiB, within max_pages_payload).
inline constexpr bool pages_contents_len(const PagesRecord& p, uint64_t& out) {
    if (p.page_shift < 12 || p.page_shift > 21) return false;
    if (p.nr_pages > (max_pages_payload >> p.page_shift)) return false;
    out = p.nr_pages << p.page_shift;
    return true;
}

inline constexpr uint64_t padded_len(uint64_t len) { return (len + 7) & ~uint64_t{7}; }

}  // namespace myrt::cr::image
