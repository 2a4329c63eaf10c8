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
// 2: TAIL carries a second checksum, for PAGES contents alone.
// 3: that checksum hashes each PAGES record's digest (PagesChecksum), so records
//    can be hashed apart, on several threads.
// 4: the thread core record carries the clear_child_tid pointer.
// 5-6: zombies, tuning, scheduling; user namespace maps (docs/image-format.md).
// 7: a process section ends with every thread's own credentials and groups.
inline constexpr uint32_t format_version = 7;

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
    // --- proc20 (begin): 210-219, memory and task records of issue 20 ---
    cow_pages = 210,  // CowPagesRecord: pages the process still shares copy-on-write with its parent
    // --- proc20 (end) ---
    // --- predump (begin): 230-239, pre-dumps and images with a parent (issue 15, docs/image-format.md) ---
    image_lineage = 230,    // ImageLineageRecord, right after HEAD; STRING container id, STRING parent path (with a parent)
    parent_pages = 231,     // ParentPagesRecord (objref as PAGES): present pages whose contents the parent chain holds
    predump_process = 232,  // PredumpProcessRecord (objref as PAGES): a process's memory in a pre-dump image starts
    // --- predump (end) ---
    // 300-399: files and pipes
    // --- cr/files (begin) ---
    fd_table = 300,  // FdTableRecord: the fds of one process; nr_fds FD records follow
    fd = 301,        // FdRecord: one fd number and the open file description it refers to
    file = 302,      // FileRecord (header.objref: the description); STRING path, then BUFFERs of a deleted file's contents
    pipe = 303,      // PipeRecord (header.objref: the pipe); BUFFERs of the data in flight follow
    // --- cr/files (end) ---
    // 310-349: fd kinds of cr/files/fd_kind_ops.hpp (eventfd, epoll, signalfd, timerfd, inotify...)
    // --- objects (begin): see docs/cr-files.md "Kernel objects" ---
    eventfd = 310,        // EventfdRecord (header.objref: the description)
    epoll = 311,          // EpollRecord; nr_targets EPOLL_TARGET records follow
    epoll_target = 312,   // EpollTargetRecord: one registration
    signalfd = 313,       // SignalfdRecord
    timerfd = 314,        // TimerfdRecord
    inotify = 315,        // InotifyRecord; nr_watches INOTIFY_WATCH records follow
    inotify_watch = 316,  // InotifyWatchRecord, then a STRING: the watched path below the container root
    memfd = 317,          // MemfdRecord, then a STRING (the name); BUFFERs of the contents when it owns the inode
    pidfd = 318,          // PidfdRecord
    // --- objects (end) ---
    // 320-329: files and mounts fidelity (docs/cr-files.md)
    // --- fs (begin) ---
    deleted_file = 320,   // DeletedFileRecord after FILE (kind deleted_inode) and its STRING; nr_extents FILE_EXTENT follow
    file_extent = 321,    // FileExtentRecord: one data extent of a deleted file; BUFFERs of exactly `length` bytes follow
    file_owner = 322,     // FileOwnerRecord (header.objref: a description written earlier): F_SETOWN_EX and F_SETSIG
    epoll_target_via = 323,  // EpollTargetViaRecord, right before the EPOLL_TARGET whose fd number the task closed
    // --- fs (end) ---
    // 350-399: task state beyond the process section (timers, file locks)
    // 400-499: namespaces
    // 500-599: SysV and POSIX IPC
    // --- cr/ipc (begin) ---
    ipc_ns = 500,      // IpcNsRecord: the IPC namespace as a whole; its objects follow (docs/cr-ipc.md)
    ipc_shm = 501,     // IpcShmRecord (header.objref: the segment); PAGES (vaddr = offset in the segment) follow
    ipc_msq = 502,     // IpcMsqRecord (header.objref: the queue); qnum IPC_MSG follow, oldest first
    ipc_msg = 503,     // IpcMsgRecord; a BUFFER with the text follows when len > 0
    ipc_sem = 504,     // IpcSemRecord; one BUFFER of nsems IpcSemValue follows
    ipc_mq = 505,      // IpcMqRecord (a POSIX queue); STRING name, then curmsgs IPC_MQ_MSG in receive order
    ipc_mq_msg = 506,  // IpcMqMsgRecord; a BUFFER with the text follows when len > 0
    ipc_sysctl = 507,  // IpcSysctlRecord: the namespace's sysctls, right after IPC_NS
    // --- cr/ipc (end) ---
    // 600-699: ttys and ptys
    // --- cr/tty (begin): see docs/cr-tty.md ---
    pty = 600,       // PtyRecord (header.objref: the pty pair); STRING devpts mount point, then TTY master, TTY slave
    tty = 601,       // TtyRecord (header.objref: the pty pair): one end's state; BUFFERs of its unread input follow
    pty_file = 602,  // PtyFileRecord (header.objref: the description): which pty and which end it opens
    // --- cr/tty (end) ---
    // 700-799: network
    // --- cr/net (begin): see docs/cr-net.md ---
    unix_file = 700,     // UnixFileRecord (header.objref: the description): which socket of the table it is
    unix_socket = 701,   // UnixSocketRecord: one AF_UNIX socket of the container's table
    unix_message = 702,  // UnixMessageRecord: one message (or stream chunk) in a receive queue; a BUFFER follows
    unix_socket_file = 703,  // UnixSocketFileRecord: the bound socket file's mode and owner (unix_flag_file_attrs)
    unix_scm = 704,      // UnixScmRecord: a message's SCM_RIGHTS and SCM_CREDENTIALS (unix_msg_flag_scm), after its BUFFER
    unix_scm_fd = 705,   // UnixScmFdRecord: one fd in flight of the UNIX_SCM before it (nr_fds of them)
    inet_file = 710,     // InetFileRecord (header.objref: the description): which socket of the inet table it is
    inet_socket = 711,   // InetSocketRecord: one AF_INET/AF_INET6 TCP or UDP socket of the container
    inet_message = 712,  // InetMessageRecord: a datagram or a TCP queue chunk; a BUFFER follows
    // --- cr/net (end) ---
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
// --- predump (begin): head flag bits 2-3 ---
inline constexpr uint64_t head_flag_pre_dump = 1ull << 2;    // memory only (PREDUMP_PROCESS + pages): not restorable alone
inline constexpr uint64_t head_flag_has_parent = 1ull << 3;  // some pages are in the parent image (IMAGE_LINEAGE names it)
// --- predump (end) ---
inline constexpr uint64_t known_head_flags =
    head_flag_subtree | head_flag_leave_running | head_flag_pre_dump | head_flag_has_parent;

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

// The stream's bytes are hashed in two parts, so that a restore can check
// everything that steers it (headers, process state, files, namespaces) in a
// first pass that seeks over page contents, before it creates anything; the
// page contents are checked as they are read into the stopped tasks, before
// any of them runs.
struct TailRecord {
    uint64_t magic;
    uint64_t record_count;     // records before TAIL, HEAD included
    uint64_t stream_bytes;     // bytes before TAIL's header
    uint64_t checksum;         // over those stream_bytes bytes, except the contents of PAGES records
    uint32_t checksum_kind;    // checksum_xxh3_64, for both checksums
    uint32_t reserved;         // zero
    uint64_t pages_checksum;   // over each PAGES record's contents digest, in stream order (PagesChecksum)
};
static_assert(sizeof(TailRecord) == 48);

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

// --- proc20 (begin) ---
// Pages of a private anonymous VMA that the checkpoint found mapped to the
// same physical page in the process and its parent (pagemap PFNs): their
// contents are the parent's at the same address, and no PAGES carries them.
struct CowPagesRecord {
    uint64_t vaddr;     // first page, page aligned
    uint64_t nr_pages;  // > 0
};
static_assert(sizeof(CowPagesRecord) == 16);
// --- proc20 (end) ---

// --- predump (begin) ---
// Who an image is in a chain of pre-dumps: its own random id, its parent's
// (0 without one) and how many images lie behind it (0: none, at most
// max_chain_depth). Followed by a STRING with the container's id and, when
// there is a parent, a STRING with the parent's path relative to this image's
// directory ("../NAME": a sibling directory).
struct ImageLineageRecord {
    uint64_t image_id[2];
    uint64_t parent_id[2];
    uint32_t depth;
    uint32_t reserved;
};
static_assert(sizeof(ImageLineageRecord) == 40);
inline constexpr uint32_t max_chain_depth = 64;

// Pages present in the process at the dump, not written since the parent
// image was made: their contents are the parent chain's, for the same process
// (same pid in the container) at the same address.
struct ParentPagesRecord {
    uint64_t vaddr;     // page aligned
    uint64_t nr_pages;  // > 0
};
static_assert(sizeof(ParentPagesRecord) == 16);

// In a pre-dump image: the memory of the process with this pid (in the
// container's pid namespace) follows, as PARENT_PAGES then PAGES, ascending.
struct PredumpProcessRecord {
    int32_t ns_pid;
    uint32_t reserved;
};
static_assert(sizeof(PredumpProcessRecord) == 8);
// --- predump (end) ---

// --- cr/net (begin): AF_UNIX sockets, see docs/cr-net.md ---
inline constexpr uint32_t file_kind_unix_socket = 40;

// The first socket description of the image carries the whole table
// (nr_table UNIX_SOCKET records, each followed by its messages); every
// description names its socket by the id it has in the table.
struct UnixFileRecord {
    uint64_t sock_id;          // UnixSocketRecord::id of this description
    uint32_t nr_table;         // >0 only on the description that carries the table
    uint32_t reserved;         // zero
};
static_assert(sizeof(UnixFileRecord) == 16);

inline constexpr uint32_t unix_flag_bound = 1u << 0;         // holds a name of its own (bind or autobind)
inline constexpr uint32_t unix_flag_path_present = 1u << 1;  // bound path still led to this socket at checkpoint
inline constexpr uint32_t unix_flag_external_peer = 1u << 2; // peer outside the container (--ext-unix-sk)
inline constexpr uint32_t unix_flag_accepted = 1u << 3;      // came out of accept(): its name is the listener's
inline constexpr uint32_t unix_flag_embryo = 1u << 4;        // a connection not yet accepted (listener_id's queue)
inline constexpr uint32_t unix_flag_passcred = 1u << 5;      // SO_PASSCRED
inline constexpr uint32_t unix_flag_orphan = 1u << 6;        // connected stream whose peer was closed
inline constexpr uint32_t unix_flag_file_attrs = 1u << 7;   // a UNIX_SOCKET_FILE follows the UNIX_SOCKET
inline constexpr uint32_t unix_flag_in_flight = 1u << 8;    // held by no task: only in flight in a queue of the table
inline constexpr uint32_t unix_flag_bind_dir = 1u << 9;     // a relative path still bound: a STRING with the directory it resolves in follows
inline constexpr uint32_t known_unix_flags = (1u << 10) - 1;
inline constexpr uint32_t unix_name_max = 108;               // sizeof(sockaddr_un::sun_path)

struct UnixSocketRecord {
    uint64_t id;               // the socket's inode at checkpoint; unique and non-zero in the table
    uint64_t peer_id;          // connected peer's id, 0 = none
    uint64_t listener_id;      // unix_flag_embryo: the listener holding it; else 0
    uint32_t type;             // SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
    uint32_t state;            // TCP_ESTABLISHED, TCP_CLOSE or TCP_LISTEN as unix_diag reports it
    uint32_t flags;            // unix_flag_*
    uint32_t shutdown;         // sk_shutdown: 1 receive, 2 send
    uint32_t backlog;          // listen() backlog
    uint32_t nr_messages;      // UNIX_MESSAGE records that follow
    uint32_t sndbuf;           // SO_SNDBUF as getsockopt reports it
    uint32_t rcvbuf;           // SO_RCVBUF
    int32_t peek_off;          // SO_PEEK_OFF, -1 = off
    uint32_t reserved;         // zero
    int64_t rcvtimeo_us;       // SO_RCVTIMEO, 0 = none
    int64_t sndtimeo_us;       // SO_SNDTIMEO
    uint32_t name_len;         // bytes of name (sun_path; abstract names start with NUL); 0 = unnamed
    uint32_t peer_name_len;    // external peer's name (dgram reconnect), 0 = unknown
    char name[unix_name_max];
    char peer_name[unix_name_max];
};
static_assert(sizeof(UnixSocketRecord) == 304);

struct UnixMessageRecord {
    uint64_t len;              // bytes in the BUFFER that follows (<= max_buffer_len)
    uint64_t sender_id;        // dgram: the table socket that sent it, 0 = its peer or an unbound/closed sender
    uint32_t sender_name_len;  // dgram: the address recvfrom() reports, 0 = unnamed sender
    char sender_name[unix_name_max];
    uint32_t flags;            // unix_msg_flag_*
    uint32_t reserved;         // zero
};
static_assert(sizeof(UnixMessageRecord) == 136);

inline constexpr uint32_t unix_msg_flag_scm = 1u << 0;  // a UNIX_SCM follows the message's BUFFER
inline constexpr uint32_t known_unix_msg_flags = unix_msg_flag_scm;
inline constexpr uint32_t unix_scm_max_fds = 253;       // SCM_MAX_FD
inline constexpr uint32_t unix_scm_flag_creds = 1u << 0; // pid/uid/gid hold SCM_CREDENTIALS

// Control data of one queued message: its fds in flight (SCM_RIGHTS, as
// UNIX_SCM_FD records) and the sender's credentials as the receiver sees them.
struct UnixScmRecord {
    uint32_t nr_fds;           // UNIX_SCM_FD records that follow, <= unix_scm_max_fds
    uint32_t flags;            // unix_scm_flag_*
    int32_t pid;               // SCM_CREDENTIALS pid in the container's pid namespace (0: outside or gone)
    uint32_t uid, gid;
    uint32_t reserved;         // zero
};
static_assert(sizeof(UnixScmRecord) == 24);

inline constexpr uint32_t unix_scm_fd_file = 1;    // ref: the objref of a file description of the image
inline constexpr uint32_t unix_scm_fd_socket = 2;  // ref: the id of a unix socket of the table
struct UnixScmFdRecord {
    uint64_t ref;
    uint32_t kind;             // unix_scm_fd_*
    uint32_t flags;            // unix_scm_fd_socket: the description's O_NONBLOCK/O_ASYNC (a socket held by no task)
};
static_assert(sizeof(UnixScmFdRecord) == 16);

// The socket file of a path-bound socket as it was (chmod/chown after bind).
struct UnixSocketFileRecord {
    uint32_t mode;             // permission bits (07777 at most)
    uint32_t uid, gid;
    uint32_t reserved;         // zero
};
static_assert(sizeof(UnixSocketFileRecord) == 16);
// AF_INET and AF_INET6 sockets (TCP and UDP): as for unix sockets, the first
// description carries the whole table (docs/cr-net.md, "TCP and UDP").
inline constexpr uint32_t file_kind_inet_socket = 41;

struct InetFileRecord {
    uint64_t sock_id;          // InetSocketRecord::id of this description
    uint32_t nr_table;         // >0 only on the description that carries the table
    uint32_t reserved;         // zero
};
static_assert(sizeof(InetFileRecord) == 16);

inline constexpr uint32_t inet_flag_bound = 1u << 0;      // has a local port (bind, or the port connect/listen took)
inline constexpr uint32_t inet_flag_connected = 1u << 1;  // UDP connect()ed, or a TCP connection
inline constexpr uint32_t inet_flag_repair = 1u << 2;     // TCP connection saved through TCP_REPAIR (the tcp fields)
inline constexpr uint32_t inet_flag_reconnect = 1u << 3;  // TCP client of a connection not yet accepted by listener_id:
                                                          // restored by a real connect to it
inline constexpr uint32_t inet_flag_locked = 1u << 4;     // input to this connection is dropped in the (external) netns
                                                          // from the checkpoint until the restore (docs/cr-net.md)
inline constexpr uint32_t inet_flag_timestamps = 1u << 5; // TCP options the connection negotiated
inline constexpr uint32_t inet_flag_sack = 1u << 6;
inline constexpr uint32_t inet_flag_wscale = 1u << 7;
inline constexpr uint32_t known_inet_flags = (1u << 8) - 1;
inline constexpr uint32_t inet_max_options = 40;

inline constexpr uint32_t inet_queue_recv = 1;  // the receive queue (TCP) or one received datagram (UDP)
inline constexpr uint32_t inet_queue_send = 2;  // TCP send queue: sent-unacknowledged bytes first, then unsent

// One socket option: getsockopt's int (SO_LINGER: value = l_onoff, value2 = l_linger).
struct InetOption {
    int32_t level;
    int32_t name;
    int32_t value;
    int32_t value2;
};
static_assert(sizeof(InetOption) == 16);

struct InetSocketRecord {
    uint64_t id;               // the socket's inode at checkpoint; unique and non-zero in the table
    uint64_t listener_id;      // inet_flag_reconnect: the listener whose accept queue holds its connection
    uint64_t reserved0;        // zero
    uint32_t family;           // AF_INET or AF_INET6
    uint32_t type;             // SOCK_STREAM or SOCK_DGRAM
    uint32_t protocol;         // IPPROTO_TCP or IPPROTO_UDP
    uint32_t state;            // TCP state (TCP_ESTABLISHED, TCP_LISTEN, TCP_CLOSE); UDP: TCP_CLOSE or TCP_ESTABLISHED
    uint32_t flags;            // inet_flag_*
    uint32_t shutdown;         // 1 receive, 2 send
    uint32_t backlog;          // listen() backlog
    uint32_t nr_messages;      // INET_MESSAGE records that follow
    uint32_t sndbuf;           // SO_SNDBUF as getsockopt reports it
    uint32_t rcvbuf;           // SO_RCVBUF
    uint8_t local_addr[16];    // in_addr in the first 4 bytes for AF_INET
    uint8_t remote_addr[16];
    uint16_t local_port;       // host order
    uint16_t remote_port;
    uint32_t nr_options;       // used entries of options
    // inet_flag_repair: what TCP_REPAIR reads
    uint32_t snd_seq;          // TCP_QUEUE_SEQ of the send queue: the sequence number after its last byte
    uint32_t rcv_seq;          // TCP_QUEUE_SEQ of the receive queue: the next byte expected
    uint32_t send_len;         // bytes in the send queue (INET_MESSAGE inet_queue_send)
    uint32_t unsent_len;       // the last of them never sent
    uint32_t recv_len;         // bytes in the receive queue
    uint32_t mss;              // TCP_MAXSEG
    uint32_t snd_wscale;
    uint32_t rcv_wscale;
    uint32_t timestamp;        // TCP_TIMESTAMP
    uint32_t snd_wl1;          // TCP_REPAIR_WINDOW
    uint32_t snd_wnd;
    uint32_t max_window;
    uint32_t rcv_wnd;
    uint32_t rcv_wup;
    int64_t rcvtimeo_us;       // SO_RCVTIMEO, 0 = none
    int64_t sndtimeo_us;       // SO_SNDTIMEO
    InetOption options[inet_max_options];
};
static_assert(sizeof(InetSocketRecord) == 816);

struct InetMessageRecord {
    uint64_t len;              // bytes in the BUFFER that follows (<= max_buffer_len)
    uint32_t queue;            // inet_queue_*
    uint16_t sender_family;    // UDP: the address recvfrom() reports (AF_INET/AF_INET6), 0 = TCP chunk
    uint16_t sender_port;
    uint8_t sender_addr[16];
    uint64_t reserved;         // zero
};
static_assert(sizeof(InetMessageRecord) == 40);
// --- cr/net (end) ---

// --- cr/files (begin): see docs/cr-files.md ---
inline constexpr uint32_t fd_kind_file = 1;       // FdRecord::file_objref names the description
inline constexpr uint32_t fd_kind_inherited = 2;  // the container's stdio from outside: re-attached to the restorer's

inline constexpr uint32_t file_kind_regular = 1;
inline constexpr uint32_t file_kind_directory = 2;
inline constexpr uint32_t file_kind_chardev = 3;
inline constexpr uint32_t file_kind_pipe_end = 4;   // one end of the pipe PipeRecord describes
inline constexpr uint32_t file_kind_deleted = 5;    // a regular file unlinked while open; contents in the image
inline constexpr uint32_t file_kind_fifo = 6;       // a named FIFO: path, and the PIPE holding its data in flight
// --- fs (begin) ---
inline constexpr uint32_t file_kind_deleted_inode = 7;  // a deleted file or directory: DELETED_FILE and its extents follow
inline constexpr uint32_t file_kind_deleted_alias = 8;  // another description of the inode of pipe_objref (a kind 7 description)
inline constexpr uint32_t file_kind_symlink = 9;        // an O_PATH description of a symlink itself
// --- fs (end) ---

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

// --- fs (begin): deleted inodes and file owners, see docs/cr-files.md ---
struct DeletedFileRecord {
    uint32_t uid;              // owner, as the checkpointer sees it (host ids)
    uint32_t gid;
    int64_t atime_sec;         // times before the checkpoint read the contents
    int64_t atime_nsec;
    int64_t mtime_sec;
    int64_t mtime_nsec;
    uint32_t nr_extents;       // FILE_EXTENT records that follow; 0 for a directory
    uint32_t reserved;         // zero
};
static_assert(sizeof(DeletedFileRecord) == 48);

struct FileExtentRecord {
    uint64_t offset;           // ascending, not overlapping, within FILE.size
    uint64_t length;           // > 0
};
static_assert(sizeof(FileExtentRecord) == 16);

struct FileOwnerRecord {
    int32_t owner_type;        // F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP
    int32_t pid;               // in the container's pid namespace; 0: no owner
    int32_t signum;            // F_SETSIG; 0: SIGIO
    uint32_t reserved;         // zero
};
static_assert(sizeof(FileOwnerRecord) == 16);

struct EpollTargetViaRecord {
    int32_t via_fd;            // another fd of the same task on the registered file
    uint32_t reserved;         // zero
};
static_assert(sizeof(EpollTargetViaRecord) == 8);
// --- fs (end) ---

// --- objects (begin): fd kinds of cr/files/kind_*.cpp, see docs/cr-files.md ---
inline constexpr uint32_t file_kind_eventfd = 10;
inline constexpr uint32_t file_kind_epoll = 11;
inline constexpr uint32_t file_kind_signalfd = 12;
inline constexpr uint32_t file_kind_timerfd = 13;
inline constexpr uint32_t file_kind_inotify = 14;
inline constexpr uint32_t file_kind_memfd = 15;
inline constexpr uint32_t file_kind_pidfd = 16;

struct EventfdRecord {
    uint64_t count;
    uint32_t semaphore;        // 0 or 1 (EFD_SEMAPHORE)
    uint32_t reserved;         // zero
};
static_assert(sizeof(EventfdRecord) == 16);

struct EpollRecord {
    uint32_t nr_targets;
    uint32_t reserved;         // zero
};
static_assert(sizeof(EpollRecord) == 8);

struct EpollTargetRecord {
    int32_t fd;                // the target's fd number in the task that holds the epoll fd
    uint32_t events;           // EPOLL* mask, EPOLLET/EPOLLONESHOT/EPOLLEXCLUSIVE/EPOLLWAKEUP included
    uint64_t data;
};
static_assert(sizeof(EpollTargetRecord) == 16);

struct SignalfdRecord {
    uint64_t sigmask;          // bit n-1 = signal n
};
static_assert(sizeof(SignalfdRecord) == 8);

struct TimerfdRecord {
    int32_t clockid;
    uint32_t settime_flags;    // TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET
    uint64_t ticks;            // expirations not yet read
    int64_t value_sec;         // time left to the next expiry at checkpoint; 0/0: disarmed
    int64_t value_nsec;
    int64_t interval_sec;
    int64_t interval_nsec;
    int64_t dump_clock_sec;    // the timer's clock when it was read (absolute timers keep their deadline)
    int64_t dump_clock_nsec;
};
static_assert(sizeof(TimerfdRecord) == 64);

struct InotifyRecord {
    uint32_t nr_watches;
    uint32_t reserved;         // zero
};
static_assert(sizeof(InotifyRecord) == 8);

struct InotifyWatchRecord {
    uint32_t mask;             // IN_* as inotify_add_watch takes it
    int32_t wd;                // the watch descriptor the task knows it by (must come back the same)
};
static_assert(sizeof(InotifyWatchRecord) == 8);

struct MemfdRecord {
    uint64_t size;             // bytes; the contents follow in BUFFERs when inode_objref is 0
    uint64_t pos;              // this description's offset
    uint64_t inode_objref;     // 0: this description introduces the memfd; else the objref of one that did
    uint32_t seals;            // F_SEAL_*
    uint32_t mode;             // permission bits
};
static_assert(sizeof(MemfdRecord) == 32);

struct PidfdRecord {
    int32_t pid;               // in the container's pid namespace
    uint32_t reserved;         // zero
};
static_assert(sizeof(PidfdRecord) == 8);
// --- objects (end) ---

// --- cr/ipc (begin): see docs/cr-ipc.md ---
// A POSIX queue descriptor: FILE {kind = file_kind_mqueue, flags}, then a STRING with the
// queue's name (the queue itself is in the IPC section).
inline constexpr uint32_t file_kind_mqueue = 50;

struct IpcNsRecord {
    uint32_t nr_shm;           // IPC_SHM records that follow, ids ascending
    uint32_t nr_msq;
    uint32_t nr_sem;
    uint32_t nr_mq;
};
static_assert(sizeof(IpcNsRecord) == 16);

// The IPC namespace's own sysctls (kernel.msg*, shm*, sem and fs.mqueue.*).
struct IpcSysctlRecord {
    uint64_t msgmax, msgmnb, msgmni;
    uint64_t shmmax, shmall, shmmni, shm_rmid_forced;
    int32_t sem[4];            // kernel.sem: SEMMSL SEMMNS SEMOPM SEMMNI
    uint64_t mq_msg_max, mq_msgsize_max, mq_msg_default, mq_msgsize_default, mq_queues_max;
};
static_assert(sizeof(IpcSysctlRecord) == 112);

struct IpcPermRecord {
    int32_t id;                // shmid/msqid/semid: restored exactly (kernel.*_next_id)
    int32_t key;               // IPC_PRIVATE = 0
    uint32_t uid, gid, cuid, cgid;
    uint32_t mode;             // permission bits, and SHM_DEST / SHM_LOCKED for segments
    uint32_t reserved;         // zero
};
static_assert(sizeof(IpcPermRecord) == 32);

struct IpcShmRecord {
    IpcPermRecord perm;
    uint64_t segsz;
    int64_t atime, dtime, ctime;  // informational: the kernel offers no way to set them
    int32_t cpid, lpid;           // informational, as seen by the checkpointer
    uint64_t nattch;              // at checkpoint time
};
static_assert(sizeof(IpcShmRecord) == 80);

struct IpcMsqRecord {
    IpcPermRecord perm;
    uint64_t qbytes;           // msg_qbytes, restored
    uint64_t cbytes;           // sum of the message lengths that follow
    uint64_t qnum;             // IPC_MSG records that follow
    int64_t stime, rtime, ctime;
    int32_t lspid, lrpid;
};
static_assert(sizeof(IpcMsqRecord) == 88);

struct IpcMsgRecord {
    int64_t mtype;             // > 0
    uint64_t len;
};
static_assert(sizeof(IpcMsgRecord) == 16);

struct IpcSemRecord {
    IpcPermRecord perm;
    uint32_t nsems;
    uint32_t reserved;         // zero
    int64_t otime, ctime;
};
static_assert(sizeof(IpcSemRecord) == 56);

struct IpcSemValue {           // the BUFFER after IPC_SEM is an array of these
    int32_t value;             // semval, 0..32767
    int32_t pid;               // sempid, informational
};
static_assert(sizeof(IpcSemValue) == 8);

struct IpcMqRecord {
    int64_t maxmsg, msgsize, curmsgs;
    uint32_t mode, uid, gid;
    uint32_t reserved;         // zero
};
static_assert(sizeof(IpcMqRecord) == 40);

struct IpcMqMsgRecord {
    uint32_t prio;
    uint32_t reserved;         // zero
    uint64_t len;
};
static_assert(sizeof(IpcMqMsgRecord) == 16);
// --- cr/ipc (end) ---

// --- cr/tty (begin): pseudo terminals, see docs/cr-tty.md ---
inline constexpr uint32_t file_kind_pty_master = 30;  // a /dev/ptmx description: FILE, PTY_FILE
inline constexpr uint32_t file_kind_pty_slave = 31;   // a /dev/pts/N description (or the container console)

inline constexpr uint32_t pty_flag_locked = 1u << 0;   // TIOCGPTLCK: the slave cannot be opened yet
inline constexpr uint32_t pty_flag_packet = 1u << 1;   // TIOCGPKT on the master
inline constexpr uint32_t pty_flag_console = 1u << 2;  // the container console: restored onto the restore's new pty
inline constexpr uint32_t known_pty_flags = (1u << 3) - 1;

inline constexpr uint32_t tty_end_master = 1;
inline constexpr uint32_t tty_end_slave = 2;
inline constexpr uint32_t tty_flag_exclusive = 1u << 0;  // TIOCGEXCL
inline constexpr uint32_t known_tty_flags = 1;
inline constexpr uint32_t pty_file_hung_up = 1u << 0;    // the description was hung up (read 0, anything else EIO)
inline constexpr uint32_t tty_ncc = 19;                  // termios2 c_cc entries (NCCS of asm/termbits.h)
inline constexpr uint32_t tty_input_max = 4096;          // N_TTY_BUF_SIZE: unread input one end can hold

struct PtyRecord {
    uint32_t index;              // N of /dev/pts/N in its devpts instance (TIOCGPTN)
    uint32_t flags;              // pty_flag_*
    uint64_t master_file_objref; // reserved: the ptmx description restore opens (seed 001's file_objref)
    uint64_t devpts_dev;         // st_dev of the devpts instance at checkpoint (messages only)
    int32_t session;             // session (pid in the container) whose controlling terminal it is; 0 = none
    int32_t fg_pgrp;             // that session's foreground process group; 0 = none
};
static_assert(sizeof(PtyRecord) == 32);

struct TtyRecord {
    uint32_t end;                // tty_end_master or tty_end_slave; master first
    uint32_t flags;              // tty_flag_*
    uint32_t iflag, oflag, cflag, lflag;  // termios2, all 32 bits
    uint32_t ispeed, ospeed;
    uint8_t line;                // c_line (the ldisc number termios reports)
    uint8_t cc[tty_ncc];
    uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;  // TIOCGWINSZ
    uint32_t ldisc;              // TIOCGETD: must be N_TTY (0)
    uint32_t input_len;          // bytes waiting to be read on this end, in the BUFFERs that follow (<= tty_input_max)
    uint32_t reserved;           // zero
};
static_assert(sizeof(TtyRecord) == 72);

struct PtyFileRecord {
    uint64_t pty_objref;         // the PTY this description opens
    uint32_t end;                // tty_end_master or tty_end_slave
    uint32_t flags;              // pty_file_*
};
static_assert(sizeof(PtyFileRecord) == 16);
// --- cr/tty (end) ---

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
    {RecordType::cow_pages, "COW_PAGES", PayloadShape::fixed, sizeof(CowPagesRecord), sizeof(CowPagesRecord), false},  // proc20
    // --- predump (begin) ---
    {RecordType::image_lineage, "IMAGE_LINEAGE", PayloadShape::fixed, sizeof(ImageLineageRecord), sizeof(ImageLineageRecord), false},
    {RecordType::parent_pages, "PARENT_PAGES", PayloadShape::fixed, sizeof(ParentPagesRecord), sizeof(ParentPagesRecord), false},
    {RecordType::predump_process, "PREDUMP_PROCESS", PayloadShape::fixed, sizeof(PredumpProcessRecord), sizeof(PredumpProcessRecord), false},
    // --- predump (end) ---
    // --- cr/net (begin) ---
    {RecordType::unix_file, "UNIX_FILE", PayloadShape::fixed, sizeof(UnixFileRecord), sizeof(UnixFileRecord), false},
    {RecordType::unix_socket, "UNIX_SOCKET", PayloadShape::fixed, sizeof(UnixSocketRecord), sizeof(UnixSocketRecord), false},
    {RecordType::unix_message, "UNIX_MESSAGE", PayloadShape::fixed, sizeof(UnixMessageRecord), sizeof(UnixMessageRecord), false},
    {RecordType::unix_socket_file, "UNIX_SOCKET_FILE", PayloadShape::fixed, sizeof(UnixSocketFileRecord), sizeof(UnixSocketFileRecord), false},
    {RecordType::unix_scm, "UNIX_SCM", PayloadShape::fixed, sizeof(UnixScmRecord), sizeof(UnixScmRecord), false},
    {RecordType::unix_scm_fd, "UNIX_SCM_FD", PayloadShape::fixed, sizeof(UnixScmFdRecord), sizeof(UnixScmFdRecord), false},
    {RecordType::inet_file, "INET_FILE", PayloadShape::fixed, sizeof(InetFileRecord), sizeof(InetFileRecord), false},
    {RecordType::inet_socket, "INET_SOCKET", PayloadShape::fixed, sizeof(InetSocketRecord), sizeof(InetSocketRecord), false},
    {RecordType::inet_message, "INET_MESSAGE", PayloadShape::fixed, sizeof(InetMessageRecord), sizeof(InetMessageRecord), false},
    // --- cr/net (end) ---
    // --- cr/files (begin) ---
    {RecordType::fd_table, "FD_TABLE", PayloadShape::fixed, sizeof(FdTableRecord), sizeof(FdTableRecord), false},
    {RecordType::fd, "FD", PayloadShape::fixed, sizeof(FdRecord), sizeof(FdRecord), false},
    {RecordType::file, "FILE", PayloadShape::fixed, sizeof(FileRecord), sizeof(FileRecord), false},
    {RecordType::pipe, "PIPE", PayloadShape::fixed, sizeof(PipeRecord), sizeof(PipeRecord), false},
    // --- cr/files (end) ---
    // --- objects (begin) ---
    {RecordType::eventfd, "EVENTFD", PayloadShape::fixed, sizeof(EventfdRecord), sizeof(EventfdRecord), false},
    {RecordType::epoll, "EPOLL", PayloadShape::fixed, sizeof(EpollRecord), sizeof(EpollRecord), false},
    {RecordType::epoll_target, "EPOLL_TARGET", PayloadShape::fixed, sizeof(EpollTargetRecord), sizeof(EpollTargetRecord), false},
    {RecordType::signalfd, "SIGNALFD", PayloadShape::fixed, sizeof(SignalfdRecord), sizeof(SignalfdRecord), false},
    {RecordType::timerfd, "TIMERFD", PayloadShape::fixed, sizeof(TimerfdRecord), sizeof(TimerfdRecord), false},
    {RecordType::inotify, "INOTIFY", PayloadShape::fixed, sizeof(InotifyRecord), sizeof(InotifyRecord), false},
    {RecordType::inotify_watch, "INOTIFY_WATCH", PayloadShape::fixed, sizeof(InotifyWatchRecord), sizeof(InotifyWatchRecord), false},
    {RecordType::memfd, "MEMFD", PayloadShape::fixed, sizeof(MemfdRecord), sizeof(MemfdRecord), false},
    {RecordType::pidfd, "PIDFD", PayloadShape::fixed, sizeof(PidfdRecord), sizeof(PidfdRecord), false},
    // --- objects (end) ---
    // --- fs (begin) ---
    {RecordType::deleted_file, "DELETED_FILE", PayloadShape::fixed, sizeof(DeletedFileRecord), sizeof(DeletedFileRecord), false},
    {RecordType::file_extent, "FILE_EXTENT", PayloadShape::fixed, sizeof(FileExtentRecord), sizeof(FileExtentRecord), false},
    {RecordType::file_owner, "FILE_OWNER", PayloadShape::fixed, sizeof(FileOwnerRecord), sizeof(FileOwnerRecord), false},
    {RecordType::epoll_target_via, "EPOLL_TARGET_VIA", PayloadShape::fixed, sizeof(EpollTargetViaRecord), sizeof(EpollTargetViaRecord), false},
    // --- fs (end) ---
    // --- cr/tty (begin) ---
    {RecordType::pty, "PTY", PayloadShape::fixed, sizeof(PtyRecord), sizeof(PtyRecord), false},
    {RecordType::tty, "TTY", PayloadShape::fixed, sizeof(TtyRecord), sizeof(TtyRecord), false},
    {RecordType::pty_file, "PTY_FILE", PayloadShape::fixed, sizeof(PtyFileRecord), sizeof(PtyFileRecord), false},
    // --- cr/tty (end) ---
    // --- cr/ipc (begin) ---
    {RecordType::ipc_ns, "IPC_NS", PayloadShape::fixed, sizeof(IpcNsRecord), sizeof(IpcNsRecord), false},
    {RecordType::ipc_shm, "IPC_SHM", PayloadShape::fixed, sizeof(IpcShmRecord), sizeof(IpcShmRecord), false},
    {RecordType::ipc_msq, "IPC_MSQ", PayloadShape::fixed, sizeof(IpcMsqRecord), sizeof(IpcMsqRecord), false},
    {RecordType::ipc_msg, "IPC_MSG", PayloadShape::fixed, sizeof(IpcMsgRecord), sizeof(IpcMsgRecord), false},
    {RecordType::ipc_sem, "IPC_SEM", PayloadShape::fixed, sizeof(IpcSemRecord), sizeof(IpcSemRecord), false},
    {RecordType::ipc_mq, "IPC_MQ", PayloadShape::fixed, sizeof(IpcMqRecord), sizeof(IpcMqRecord), false},
    {RecordType::ipc_mq_msg, "IPC_MQ_MSG", PayloadShape::fixed, sizeof(IpcMqMsgRecord), sizeof(IpcMqMsgRecord), false},
    {RecordType::ipc_sysctl, "IPC_SYSCTL", PayloadShape::fixed, sizeof(IpcSysctlRecord), sizeof(IpcSysctlRecord), false},
    // --- cr/ipc (end) ---
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
template <> struct PayloadOf<RecordType::cow_pages> { using type = CowPagesRecord; };  // proc20
// --- predump (begin) ---
template <> struct PayloadOf<RecordType::image_lineage> { using type = ImageLineageRecord; };
template <> struct PayloadOf<RecordType::parent_pages> { using type = ParentPagesRecord; };
template <> struct PayloadOf<RecordType::predump_process> { using type = PredumpProcessRecord; };
// --- predump (end) ---
// --- cr/net (begin) ---
template <> struct PayloadOf<RecordType::unix_file> { using type = UnixFileRecord; };
template <> struct PayloadOf<RecordType::unix_socket> { using type = UnixSocketRecord; };
template <> struct PayloadOf<RecordType::unix_message> { using type = UnixMessageRecord; };
template <> struct PayloadOf<RecordType::unix_socket_file> { using type = UnixSocketFileRecord; };
template <> struct PayloadOf<RecordType::unix_scm> { using type = UnixScmRecord; };
template <> struct PayloadOf<RecordType::unix_scm_fd> { using type = UnixScmFdRecord; };
template <> struct PayloadOf<RecordType::inet_file> { using type = InetFileRecord; };
template <> struct PayloadOf<RecordType::inet_socket> { using type = InetSocketRecord; };
template <> struct PayloadOf<RecordType::inet_message> { using type = InetMessageRecord; };
// --- cr/net (end) ---
// --- cr/files (begin) ---
template <> struct PayloadOf<RecordType::fd_table> { using type = FdTableRecord; };
template <> struct PayloadOf<RecordType::fd> { using type = FdRecord; };
template <> struct PayloadOf<RecordType::file> { using type = FileRecord; };
template <> struct PayloadOf<RecordType::pipe> { using type = PipeRecord; };
// --- cr/files (end) ---
// --- objects (begin) ---
template <> struct PayloadOf<RecordType::eventfd> { using type = EventfdRecord; };
template <> struct PayloadOf<RecordType::epoll> { using type = EpollRecord; };
template <> struct PayloadOf<RecordType::epoll_target> { using type = EpollTargetRecord; };
template <> struct PayloadOf<RecordType::signalfd> { using type = SignalfdRecord; };
template <> struct PayloadOf<RecordType::timerfd> { using type = TimerfdRecord; };
template <> struct PayloadOf<RecordType::inotify> { using type = InotifyRecord; };
template <> struct PayloadOf<RecordType::inotify_watch> { using type = InotifyWatchRecord; };
template <> struct PayloadOf<RecordType::memfd> { using type = MemfdRecord; };
template <> struct PayloadOf<RecordType::pidfd> { using type = PidfdRecord; };
// --- objects (end) ---
// --- fs (begin) ---
template <> struct PayloadOf<RecordType::deleted_file> { using type = DeletedFileRecord; };
template <> struct PayloadOf<RecordType::file_extent> { using type = FileExtentRecord; };
template <> struct PayloadOf<RecordType::file_owner> { using type = FileOwnerRecord; };
template <> struct PayloadOf<RecordType::epoll_target_via> { using type = EpollTargetViaRecord; };
// --- fs (end) ---
// --- cr/tty (begin) ---
template <> struct PayloadOf<RecordType::pty> { using type = PtyRecord; };
template <> struct PayloadOf<RecordType::tty> { using type = TtyRecord; };
template <> struct PayloadOf<RecordType::pty_file> { using type = PtyFileRecord; };
// --- cr/tty (end) ---

// --- cr/ipc (begin) ---
template <> struct PayloadOf<RecordType::ipc_ns> { using type = IpcNsRecord; };
template <> struct PayloadOf<RecordType::ipc_shm> { using type = IpcShmRecord; };
template <> struct PayloadOf<RecordType::ipc_msq> { using type = IpcMsqRecord; };
template <> struct PayloadOf<RecordType::ipc_msg> { using type = IpcMsgRecord; };
template <> struct PayloadOf<RecordType::ipc_sem> { using type = IpcSemRecord; };
template <> struct PayloadOf<RecordType::ipc_mq> { using type = IpcMqRecord; };
template <> struct PayloadOf<RecordType::ipc_mq_msg> { using type = IpcMqMsgRecord; };
template <> struct PayloadOf<RecordType::ipc_sysctl> { using type = IpcSysctlRecord; };
// --- cr/ipc (end) ---
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
