#include "cr/ipc/dump_ipc.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cr/ipc/ipc_ns.hpp"
#include "cr/ipc/sysv.hpp"
#include "cr/memory/vma.hpp"
#include "util/error.hpp"

namespace myrt::cr::ipc {
namespace {

image::IpcPermRecord perm_of(int id, const ipc_perm& p) {
    image::IpcPermRecord r{};
    r.id = id;
    r.key = p.__key;
    r.uid = p.uid;
    r.gid = p.gid;
    r.cuid = p.cuid;
    r.cgid = p.cgid;
    r.mode = p.mode;
    return r;
}

struct Snapshot {
    std::vector<image::IpcShmRecord> shms;
    std::vector<image::IpcMsqRecord> msqs;
    std::vector<image::IpcSemRecord> sems;
    std::vector<std::string> mq_names;
};

Snapshot list_sysv() {
    Snapshot s;
    shmid_ds ds{};
    int max = ::shmctl(0, IPC_INFO, &ds);
    if (max < 0) throw_errno("shmctl IPC_INFO");
    for (int i = 0; i <= max; ++i) {
        shmid_ds d{};
        int id = ::shmctl(i, SHM_STAT_ANY, &d);
        if (id < 0) continue;  // a free index
        image::IpcShmRecord r{};
        r.perm = perm_of(id, d.shm_perm);
        r.segsz = d.shm_segsz;
        r.atime = d.shm_atime;
        r.dtime = d.shm_dtime;
        r.ctime = d.shm_ctime;
        r.cpid = d.shm_cpid;
        r.lpid = d.shm_lpid;
        r.nattch = d.shm_nattch;
        s.shms.push_back(r);
    }
    msqid_ds mds{};
    max = ::msgctl(0, MSG_INFO, &mds);
    if (max < 0) throw_errno("msgctl MSG_INFO");
    for (int i = 0; i <= max; ++i) {
        msqid_ds d{};
        int id = ::msgctl(i, MSG_STAT_ANY, &d);
        if (id < 0) continue;
        image::IpcMsqRecord r{};
        r.perm = perm_of(id, d.msg_perm);
        r.qbytes = d.msg_qbytes;
        r.cbytes = d.__msg_cbytes;
        r.qnum = d.msg_qnum;
        r.stime = d.msg_stime;
        r.rtime = d.msg_rtime;
        r.ctime = d.msg_ctime;
        r.lspid = d.msg_lspid;
        r.lrpid = d.msg_lrpid;
        s.msqs.push_back(r);
    }
    seminfo si{};
    semun_arg a{};
    a.info = &si;
    max = ::semctl(0, 0, SEM_INFO, a);
    if (max < 0) throw_errno("semctl SEM_INFO");
    for (int i = 0; i <= max; ++i) {
        semid_ds d{};
        a.buf = &d;
        int id = ::semctl(i, 0, SEM_STAT_ANY, a);
        if (id < 0) continue;
        image::IpcSemRecord r{};
        r.perm = perm_of(id, d.sem_perm);
        r.nsems = static_cast<uint32_t>(d.sem_nsems);
        r.otime = d.sem_otime;
        r.ctime = d.sem_ctime;
        s.sems.push_back(r);
    }
    std::sort(s.shms.begin(), s.shms.end(), [](auto& x, auto& y) { return x.perm.id < y.perm.id; });
    std::sort(s.msqs.begin(), s.msqs.end(), [](auto& x, auto& y) { return x.perm.id < y.perm.id; });
    std::sort(s.sems.begin(), s.sems.end(), [](auto& x, auto& y) { return x.perm.id < y.perm.id; });
    return s;
}

std::vector<std::string> list_mqueues(int mqfs) {
    UniqueFd dfd(::openat(mqfs, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dfd) throw_errno("open the container's mqueue filesystem");
    DIR* d = ::fdopendir(dfd.get());
    if (!d) throw_errno("fdopendir on the mqueue filesystem");
    dfd.release();
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

// Per segment, how many VMAs of the container map it (shm_nattch counts VMAs).
std::map<int32_t, uint64_t> check_container_mappings(const IpcCheckInput& in, const Snapshot& s) {
    std::map<int32_t, uint64_t> inside;
    for (pid_t pid : in.pids) {
        std::vector<Vma> vmas;
        try {
            vmas = read_vmas(pid);
        } catch (const std::exception& e) {
            fail("reading the mappings of process {} to find its SysV segments: {}", pid, e.what());
        }
        for (auto& v : vmas) {
            if (v.rec.kind != VmaKind::sysv_shm) continue;
            auto shmid = static_cast<int32_t>(v.rec.inode);
            if (!in.own_ns)
                fail("process {} maps SysV shared memory segment {} at {:#x}, and the container shares the host's IPC "
                     "namespace: the segment is not the container's to checkpoint (give it its own IPC namespace)",
                     pid, shmid, v.rec.start);
            auto it = std::find_if(s.shms.begin(), s.shms.end(), [&](auto& r) { return r.perm.id == shmid; });
            if (it == s.shms.end())
                fail("process {} maps SysV segment {} at {:#x}, which is not in the container's IPC namespace (it "
                     "changed during the checkpoint)",
                     pid, shmid, v.rec.start);
            if (v.rec.pgoff != 0 || v.size() != page_round(it->segsz))
                fail("process {} maps only part of SysV segment {} (key {:#x}) at {:#x}-{:#x} (offset {:#x}, segment of "
                     "{} bytes): not supported",
                     pid, shmid, it->perm.key, v.rec.start, v.rec.end, v.rec.pgoff, it->segsz);
            ++inside[shmid];
        }
    }
    return inside;
}

// A process outside the container that maps segment `r`; 0 when none is
// found. Its IPC namespace does not tell (it may have attached the segment
// and left), and a shmid is unique only within a namespace: a mapping
// matches on the name (SYSV + key), the inode (shmid) and the size, and one
// in the container's namespace is preferred.
pid_t find_outside_user(const image::IpcShmRecord& r, uint64_t ns, const std::set<pid_t>& container) {
    DIR* d = ::opendir("/proc");
    if (!d) return 0;
    pid_t found = 0, elsewhere = 0;
    const auto name = fmt::format("/SYSV{:08x}", static_cast<uint32_t>(r.perm.key));
    while (auto* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end || container.count(static_cast<pid_t>(pid)) || pid == ::getpid()) continue;
        try {
            bool maps = false;
            for (auto& v : read_vmas(static_cast<int>(pid)))
                if (v.rec.kind == VmaKind::sysv_shm && static_cast<int32_t>(v.rec.inode) == r.perm.id &&
                    v.path == name && v.size() == page_round(r.segsz))
                    maps = true;
            if (!maps) continue;
            if (ipc_ns_inode(e->d_name) == ns) {
                found = static_cast<pid_t>(pid);
                break;
            }
            if (!elsewhere) elsewhere = static_cast<pid_t>(pid);
        } catch (const std::exception&) {
            continue;  // gone meanwhile, or a kernel thread
        }
    }
    ::closedir(d);
    return found ? found : elsewhere;
}

void check_mqueue(int mqfs, const std::string& name) {
    UniqueFd fd(::openat(mqfs, name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open POSIX queue /{} to read its state", name);
    char buf[256] = {};
    ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
    if (n < 0) throw_errno("read the state of POSIX queue /{}", name);
    const char* p = std::strstr(buf, "NOTIFY_PID:");
    if (p && std::atoi(p + 11) != 0)
        fail("POSIX queue /{} has a notification (mq_notify) registered by process {}: not supported", name,
             std::atoi(p + 11));
}

void write_segment(image::RecordWriter& w, const image::IpcShmRecord& r, IpcDumpStats& stats) {
    void* at = ::shmat(r.perm.id, nullptr, SHM_RDONLY);
    if (at == reinterpret_cast<void*>(-1)) throw_errno("attach SysV segment {} (key {:#x}) to read it", r.perm.id, r.perm.key);
    uint64_t len = page_round(r.segsz);
    auto mf = fmt::format("/proc/self/map_files/{:x}-{:x}", reinterpret_cast<uintptr_t>(at),
                          reinterpret_cast<uintptr_t>(at) + len);
    // Read through the segment's file, not the mapping: a read fault on a
    // hole would allocate a page in the container's segment.
    UniqueFd fd(::open(mf.c_str(), O_RDONLY | O_CLOEXEC));
    int err = errno;
    // Kept attached while reading: the bytes past shm_segsz in the last page
    // are the segment's too (a task can write them) but the file ends at
    // shm_segsz, so they are read through the mapping (the page exists, so
    // the read faults nothing in).
    struct Detach {
        void* at;
        ~Detach() { ::shmdt(at); }
    } detach{at};
    if (!fd) throw SystemError(err, fmt::format("open the file of SysV segment {} ({})", r.perm.id, mf));
    struct statfs sfs {};
    if (::fstatfs(fd.get(), &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC)
        fail("SysV segment {} (key {:#x}, {} bytes) uses huge pages (SHM_HUGETLB): not supported", r.perm.id,
             r.perm.key, r.segsz);
    auto oref = objref(ObjKind::shm, static_cast<uint32_t>(r.perm.id));
    std::vector<std::byte> buf(1u << 20);
    static const std::byte zero[kPageSize] = {};
    off_t pos = 0;
    const off_t size = static_cast<off_t>(len);
    while (pos < size) {
        off_t data = ::lseek(fd.get(), pos, SEEK_DATA);
        if (data < 0) break;  // ENXIO: no data past pos
        off_t hole = ::lseek(fd.get(), data, SEEK_HOLE);
        if (hole < 0 || hole > size) hole = size;
        data &= ~static_cast<off_t>(kPageSize - 1);
        for (off_t at_off = data; at_off < hole;) {
            size_t want = static_cast<size_t>(std::min<off_t>(hole - at_off, static_cast<off_t>(buf.size())));
            want = static_cast<size_t>(page_round(want));
            ssize_t n = ::pread(fd.get(), buf.data(), want, at_off);
            if (n < 0) throw_errno("read SysV segment {} at offset {:#x}", r.perm.id, at_off);
            if (n == 0) break;
            size_t got = static_cast<size_t>(page_round(static_cast<uint64_t>(n)));
            std::fill(buf.begin() + n, buf.begin() + static_cast<ptrdiff_t>(got), std::byte{0});
            uint64_t end = static_cast<uint64_t>(at_off) + got;
            if (end > r.segsz && static_cast<uint64_t>(at_off) + static_cast<uint64_t>(n) >= r.segsz) {
                uint64_t tail = std::max<uint64_t>(r.segsz, static_cast<uint64_t>(at_off));
                std::memcpy(buf.data() + (tail - static_cast<uint64_t>(at_off)), static_cast<const std::byte*>(at) + tail,
                            end - tail);
            }
            // Runs of non-zero pages only: a new segment is zero already.
            size_t i = 0;
            while (i < got) {
                while (i < got && std::memcmp(buf.data() + i, zero, kPageSize) == 0) i += kPageSize;
                size_t j = i;
                while (j < got && std::memcmp(buf.data() + j, zero, kPageSize) != 0) j += kPageSize;
                if (j > i) {
                    w.write_pages(static_cast<uint64_t>(at_off) + i, 12, std::span(buf.data() + i, j - i), oref);
                    stats.shm_bytes += j - i;
                }
                i = j;
            }
            at_off += static_cast<off_t>(got);
        }
        pos = hole;
    }
}

void write_msq(image::RecordWriter& w, const image::IpcMsqRecord& r, IpcDumpStats& stats) {
    auto oref = objref(ObjKind::msq, static_cast<uint32_t>(r.perm.id));
    msginfo mi{};
    if (::msgctl(0, IPC_INFO, reinterpret_cast<msqid_ds*>(&mi)) < 0) throw_errno("msgctl IPC_INFO");
    size_t cap = std::max<size_t>({static_cast<size_t>(mi.msgmax), static_cast<size_t>(r.cbytes), 1});
    std::vector<std::byte> buf(sizeof(long) + cap);
    uint64_t total = 0;
    for (uint64_t i = 0; i < r.qnum; ++i) {
        // MSG_COPY: the i-th message, left in the queue.
        ssize_t n = ::msgrcv(r.perm.id, buf.data(), cap, static_cast<long>(i), MSG_COPY | IPC_NOWAIT);
        if (n < 0) throw_errno("copy message {} of SysV queue {} (key {:#x})", i, r.perm.id, r.perm.key);
        long type = 0;
        std::memcpy(&type, buf.data(), sizeof type);
        image::IpcMsgRecord m{type, static_cast<uint64_t>(n)};
        w.write<image::RecordType::ipc_msg>(m, oref);
        if (n > 0) w.write_buffer(std::span(buf.data() + sizeof(long), static_cast<size_t>(n)), oref);
        total += static_cast<uint64_t>(n);
        ++stats.messages;
    }
    if (total != r.cbytes)
        fail("SysV queue {} changed while it was dumped ({} bytes announced, {} copied)", r.perm.id, r.cbytes, total);
}

void write_sem(image::RecordWriter& w, const image::IpcSemRecord& r) {
    auto oref = objref(ObjKind::sem, static_cast<uint32_t>(r.perm.id));
    std::vector<image::IpcSemValue> values(r.nsems);
    std::vector<unsigned short> vals(r.nsems);
    semun_arg a{};
    a.array = vals.data();
    if (::semctl(r.perm.id, 0, GETALL, a) < 0) throw_errno("read the values of semaphore set {}", r.perm.id);
    for (uint32_t i = 0; i < r.nsems; ++i) {
        values[i].value = vals[i];
        int pid = ::semctl(r.perm.id, static_cast<int>(i), GETPID);
        values[i].pid = pid > 0 ? pid : 0;
    }
    w.write<image::RecordType::ipc_sem>(r, oref);
    w.write_buffer(std::as_bytes(std::span(values)), oref);
}

struct MqMessage {
    unsigned prio;
    std::vector<std::byte> text;
};

// POSIX queues have no peek: every message is received and sent back at
// once, in receive order, which rebuilds the same queue (the container is
// frozen, nobody else touches it).
void write_mq(image::RecordWriter& w, int mqfs, const std::string& name, uint32_t index, IpcDumpStats& stats) {
    struct stat st {};
    if (::fstatat(mqfs, name.c_str(), &st, 0) != 0) throw_errno("stat POSIX queue /{}", name);
    auto path = "/" + name;
    mqd_t q = ::mq_open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (q == static_cast<mqd_t>(-1)) throw_errno("open POSIX queue {}", path);
    mq_attr attr{};
    std::vector<MqMessage> msgs;
    std::string error;
    if (::mq_getattr(q, &attr) != 0) {
        error = fmt::format("mq_getattr of POSIX queue {}: {}", path, std::strerror(errno));
    } else {
        std::vector<std::byte> buf(static_cast<size_t>(attr.mq_msgsize));
        for (;;) {
            unsigned prio = 0;
            ssize_t n = ::mq_receive(q, reinterpret_cast<char*>(buf.data()), buf.size(), &prio);
            if (n < 0) {
                if (errno != EAGAIN) error = fmt::format("receive from POSIX queue {}: {}", path, std::strerror(errno));
                break;
            }
            msgs.push_back({prio, std::vector<std::byte>(buf.begin(), buf.begin() + n)});
        }
        for (size_t i = 0; i < msgs.size(); ++i)
            if (::mq_send(q, reinterpret_cast<const char*>(msgs[i].text.data()), msgs[i].text.size(), msgs[i].prio) != 0) {
                error = fmt::format("putting message {} of {} back into POSIX queue {} failed ({}): the later messages "
                                    "are lost",
                                    i + 1, msgs.size(), path, std::strerror(errno));
                break;
            }
    }
    ::mq_close(q);
    if (!error.empty()) fail("{}", error);
    auto oref = objref(ObjKind::mq, index);
    image::IpcMqRecord r{};
    r.maxmsg = attr.mq_maxmsg;
    r.msgsize = attr.mq_msgsize;
    r.curmsgs = static_cast<int64_t>(msgs.size());
    r.mode = st.st_mode & 0777;
    r.uid = st.st_uid;
    r.gid = st.st_gid;
    w.write<image::RecordType::ipc_mq>(r, oref);
    w.write_string(name, oref);
    for (auto& m : msgs) {
        image::IpcMqMsgRecord mr{m.prio, 0, m.text.size()};
        w.write<image::RecordType::ipc_mq_msg>(mr, oref);
        if (!m.text.empty()) w.write_buffer(m.text, oref);
        ++stats.messages;
    }
}

}  // namespace

IpcDumpStats dump_ipc_namespace(const IpcCheckInput& in, image::RecordWriter& writer, const LogLine& log) {
    IpcDumpStats stats;
    if (!in.own_ns) {
        check_container_mappings(in, Snapshot{});
        log("the container shares the host's IPC namespace: its IPC objects are not checkpointed");
        return stats;
    }
    const uint64_t ns = ipc_ns_inode(std::to_string(in.init));
    InIpcNamespace inside(in.init);
    auto snap = list_sysv();
    UniqueFd mqfs = open_mqueue_fs();
    snap.mq_names = list_mqueues(mqfs.get());

    // Step one: everything checked before anything is read or written.
    auto attached = check_container_mappings(in, snap);
    std::set<pid_t> container(in.pids.begin(), in.pids.end());
    for (auto& r : snap.shms) {
        uint64_t mine = attached.count(r.perm.id) ? attached[r.perm.id] : 0;
        if (r.nattch > mine) {
            pid_t outside = find_outside_user(r, ns, container);
            if (outside)
                fail("SysV segment {} (key {:#x}) is attached by process {} outside the container ({} attachments, {} "
                     "inside): the container cannot be checkpointed alone",
                     r.perm.id, r.perm.key, outside, r.nattch, mine);
            fail("SysV segment {} (key {:#x}) has {} attachments but only {} inside the container; the process outside "
                 "was not found",
                 r.perm.id, r.perm.key, r.nattch, mine);
        }
    }
    for (auto& name : snap.mq_names) check_mqueue(mqfs.get(), name);

    // Step two: the namespace as a whole.
    image::IpcNsRecord head{static_cast<uint32_t>(snap.shms.size()), static_cast<uint32_t>(snap.msqs.size()),
                            static_cast<uint32_t>(snap.sems.size()), static_cast<uint32_t>(snap.mq_names.size())};
    writer.write<image::RecordType::ipc_ns>(head, objref(ObjKind::ns, 0));
    writer.write<image::RecordType::ipc_sysctl>(read_ipc_sysctls(), objref(ObjKind::ns, 0));
    for (auto& r : snap.shms) {
        writer.write<image::RecordType::ipc_shm>(r, objref(ObjKind::shm, static_cast<uint32_t>(r.perm.id)));
        write_segment(writer, r, stats);
        if (r.perm.mode & SHM_DEST) log(fmt::format("SysV segment {} is deleted but attached: removed again after restore", r.perm.id));
    }
    for (auto& r : snap.msqs) {
        writer.write<image::RecordType::ipc_msq>(r, objref(ObjKind::msq, static_cast<uint32_t>(r.perm.id)));
        write_msq(writer, r, stats);
    }
    for (auto& r : snap.sems) write_sem(writer, r);
    if (!snap.sems.empty())
        log(fmt::format("warning: {} semaphore sets dumped; the SEM_UNDO adjustments of the container's processes cannot "
                        "be read from user space and are lost (docs/cr-ipc.md)",
                        snap.sems.size()));
    for (uint32_t i = 0; i < snap.mq_names.size(); ++i) write_mq(writer, mqfs.get(), snap.mq_names[i], i, stats);
    stats.shm = head.nr_shm;
    stats.msq = head.nr_msq;
    stats.sem = head.nr_sem;
    stats.mq = head.nr_mq;
    return stats;
}

}  // namespace myrt::cr::ipc
