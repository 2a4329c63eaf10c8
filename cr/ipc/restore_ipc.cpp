#include "cr/ipc/restore_ipc.hpp"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "cr/ipc/ipc_ns.hpp"
#include "cr/ipc/sysv.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::cr::ipc {
namespace {

// Objects are created by their creator (cuid/cgid are the creating thread's
// effective ids and cannot be set later); only this thread changes ids (raw
// syscalls: glibc would change every thread's), and root comes back after.
class AsCreator {
public:
    AsCreator(uint32_t uid, uint32_t gid) {
        if (::syscall(SYS_setresgid, -1, gid, -1) != 0) throw_errno("become group {} to create an IPC object", gid);
        if (::syscall(SYS_setresuid, -1, uid, -1) != 0) {
            int e = errno;
            ::syscall(SYS_setresgid, -1, 0, -1);
            throw SystemError(e, fmt::format("become user {} to create an IPC object", uid));
        }
    }
    ~AsCreator() {
        if (::syscall(SYS_setresuid, -1, 0, -1) != 0 || ::syscall(SYS_setresgid, -1, 0, -1) != 0) {
            log::error("could not become root again after creating an IPC object: {}", std::strerror(errno));
            std::abort();
        }
    }
    AsCreator(const AsCreator&) = delete;
    AsCreator& operator=(const AsCreator&) = delete;
};

void expect_id(const char* what, int got, int32_t want) {
    if (got != want)
        fail("{} was created with id {}, not the image's {} (the namespace's id allocation did not follow "
             "kernel.*_next_id)",
             what, got, want);
}

void set_perm(ipc_perm& p, const image::IpcPermRecord& r) {
    p.uid = r.uid;
    p.gid = r.gid;
    p.mode = static_cast<decltype(p.mode)>(r.mode & 0777);
}

size_t count_mqueues() {
    UniqueFd mnt = open_mqueue_fs();
    UniqueFd dir(::openat(mnt.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) throw_errno("open the mqueue filesystem");
    char buf[4096];
    size_t n = 0;
    for (;;) {
        long got = ::syscall(SYS_getdents64, dir.get(), buf, sizeof buf);
        if (got < 0) throw_errno("list the mqueue filesystem");
        if (got == 0) break;
        for (long off = 0; off < got;) {
            auto* name = buf + off + 19;  // linux_dirent64: ino(8) off(8) reclen(2) type(1) name
            unsigned short reclen;
            std::memcpy(&reclen, buf + off + 16, sizeof reclen);
            if (std::strcmp(name, ".") && std::strcmp(name, "..")) ++n;
            off += reclen;
        }
    }
    return n;
}

}  // namespace

void check_vmas(const IpcIndex& idx, const std::vector<Vma>& vmas, int32_t pid) {
    for (auto& v : vmas) {
        if (v.rec.kind != VmaKind::sysv_shm) continue;
        if (v.rec.inode > INT32_MAX) fail("process {} of the image maps SysV segment {}: not a valid id", pid, v.rec.inode);
        auto* s = idx.find_shm(static_cast<int32_t>(v.rec.inode));
        if (!s) fail("process {} of the image maps SysV segment {} at {:#x}, which the image's IPC section does not hold",
                     pid, v.rec.inode, v.rec.start);
        if (v.rec.pgoff != 0 || v.size() != page_round(s->segsz) || (v.rec.start % kPageSize))
            fail("process {} of the image maps SysV segment {} at {:#x}-{:#x}, not the whole segment of {} bytes", pid,
                 v.rec.inode, v.rec.start, v.rec.end, s->segsz);
        if (!v.rec.shared) fail("process {} of the image maps SysV segment {} privately", pid, v.rec.inode);
    }
}

IpcRestorer::IpcRestorer(pid_t init, const IpcIndex& idx, objhash::DeferredQueue& deferred)
    : init_(init), deferred_(deferred) {
    if (ipc_ns_inode(std::to_string(init)) == ipc_ns_inode("self"))
        fail("the image holds the container's IPC objects, but the restored container shares myrt's IPC namespace: "
             "give it its own (an \"ipc\" namespace in config.json)");
    InIpcNamespace in(init_);
    // The image's sysctls first (they override config.json's): the limits below are the restored namespace's.
    if (idx.ns_sysctls) {
        write_ipc_sysctls(*idx.ns_sysctls);
        rmid_forced_ = idx.ns_sysctls->shm_rmid_forced;
    }
    auto l = read_limits();
    uint64_t pages = 0, semtotal = 0;
    for (auto& s : idx.shms) {
        if (s.segsz > l.shmmax)
            fail("SysV segment {} of the image has {} bytes, over the namespace's kernel.shmmax {}", s.perm.id, s.segsz,
                 l.shmmax);
        pages += page_round(s.segsz) / kPageSize;
    }
    if (pages > l.shmall) fail("the image's SysV segments need {} pages, over kernel.shmall {}", pages, l.shmall);
    if (idx.shms.size() > l.shmmni) fail("the image has {} SysV segments, over kernel.shmmni {}", idx.shms.size(), l.shmmni);
    if (idx.msqs.size() > l.msgmni)
        fail("the image has {} SysV message queues, over kernel.msgmni {}", idx.msqs.size(), l.msgmni);
    if (idx.max_msg > l.msgmax)
        fail("the image has a SysV message of {} bytes, over kernel.msgmax {}", idx.max_msg, l.msgmax);
    for (auto& s : idx.sems) {
        if (s.nsems > l.semmsl)
            fail("semaphore set {} of the image has {} semaphores, over SEMMSL {}", s.perm.id, s.nsems, l.semmsl);
        semtotal += s.nsems;
    }
    if (semtotal > l.semmns) fail("the image has {} semaphores, over SEMMNS {}", semtotal, l.semmns);
    if (idx.sems.size() > l.semmni) fail("the image has {} semaphore sets, over SEMMNI {}", idx.sems.size(), l.semmni);
    // A fresh namespace: no object of the image can clash with one already there.
    shm_info si{};
    if (::shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&si)) < 0) throw_errno("shmctl SHM_INFO");
    msginfo mi{};
    if (::msgctl(0, MSG_INFO, reinterpret_cast<msqid_ds*>(&mi)) < 0) throw_errno("msgctl MSG_INFO");
    seminfo sei{};
    semun_arg a{};
    a.info = &sei;
    if (::semctl(0, 0, SEM_INFO, a) < 0) throw_errno("semctl SEM_INFO");
    size_t mqs = count_mqueues();
    if (si.used_ids || mi.msgpool || sei.semusz || mqs)
        fail("the restored container's IPC namespace is not empty ({} segments, {} queues, {} semaphore sets, {} POSIX "
             "queues): refusing to restore IPC objects into it",
             si.used_ids, mi.msgpool, sei.semusz, mqs);
}

IpcRestorer::~IpcRestorer() {
    close_current();
    if (!committed_) rollback();
}

void IpcRestorer::close_current() {
    if (shm_at_) ::shmdt(shm_at_);
    shm_at_ = nullptr;
    if (mq_fd_ >= 0) ::mq_close(mq_fd_);
    mq_fd_ = -1;
}

void IpcRestorer::rollback() noexcept {
    if (created_.empty()) return;
    try {
        InIpcNamespace in(init_);
        for (auto& c : created_) {
            int rc = 0;
            if (c.kind == 's') rc = ::shmctl(c.id, IPC_RMID, nullptr);
            if (c.kind == 'm') rc = ::msgctl(c.id, IPC_RMID, nullptr);
            if (c.kind == 'e') rc = ::semctl(c.id, 0, IPC_RMID);
            if (c.kind == 'q') rc = ::mq_unlink(("/" + c.name).c_str());
            if (rc != 0) log::warn("removing IPC object {} {} after a failed restore: {}", c.kind, c.id, std::strerror(errno));
        }
    } catch (const std::exception& e) {
        log::warn("removing the IPC objects of a failed restore: {}", e.what());
    }
    created_.clear();
}

void IpcRestorer::finish(image::RecordReader& r) {
    parser_.finish(r);
    close_current();
    if (rmid_forced_) {
        InIpcNamespace in(init_);
        write_shm_rmid_forced(*rmid_forced_);
    }
    committed_ = true;
}

std::string IpcRestorer::summary() const {
    return fmt::format("{} IPC objects, {} bytes of segment contents, {} messages", created_.size(), bytes_, messages_);
}

void IpcRestorer::shm(const image::IpcShmRecord& r) {
    close_current();
    InIpcNamespace in(init_);
    set_next_id("shm_next_id", r.perm.id);
    int id;
    {
        AsCreator as(r.perm.cuid, r.perm.cgid);
        id = ::shmget(r.perm.key, r.segsz, IPC_CREAT | IPC_EXCL | 0600);
    }
    if (id < 0) throw_errno("create SysV segment {} (key {:#x}, {} bytes)", r.perm.id, r.perm.key, r.segsz);
    created_.push_back({'s', id, {}});
    expect_id("SysV segment", id, r.perm.id);
    shmid_ds ds{};
    if (::shmctl(id, IPC_STAT, &ds) != 0) throw_errno("IPC_STAT of SysV segment {}", id);
    set_perm(ds.shm_perm, r.perm);
    if (::shmctl(id, IPC_SET, &ds) != 0) throw_errno("set owner and mode of SysV segment {}", id);
    if ((r.perm.mode & SHM_LOCKED) && ::shmctl(id, SHM_LOCK, nullptr) != 0)
        throw_errno("SHM_LOCK of SysV segment {} (key {:#x})", id, r.perm.key);
    void* at = ::shmat(id, nullptr, 0);
    if (at == reinterpret_cast<void*>(-1)) throw_errno("attach SysV segment {} to fill it", id);
    shm_at_ = at;
    shm_len_ = page_round(r.segsz);
    if (r.perm.mode & SHM_DEST) {
        pid_t init = init_;
        int32_t shmid = r.perm.id;
        deferred_.push(fmt::format("IPC_RMID of the deleted SysV segment {}", shmid), [init, shmid] {
            InIpcNamespace again(init);
            if (::shmctl(shmid, IPC_RMID, nullptr) != 0) throw_errno("IPC_RMID of SysV segment {}", shmid);
        });
    }
}

void IpcRestorer::shm_data(const image::IpcShmRecord& r, uint64_t offset, std::span<const std::byte> data) {
    // The parser keeps every chunk inside the segment's pages.
    if (!shm_at_ || offset > shm_len_ || data.size() > shm_len_ - offset)
        fail("contents of SysV segment {} beyond its size", r.perm.id);
    std::memcpy(static_cast<std::byte*>(shm_at_) + offset, data.data(), data.size());
    bytes_ += data.size();
}

void IpcRestorer::msq(const image::IpcMsqRecord& r) {
    close_current();
    InIpcNamespace in(init_);
    set_next_id("msg_next_id", r.perm.id);
    int id;
    {
        AsCreator as(r.perm.cuid, r.perm.cgid);
        id = ::msgget(r.perm.key, IPC_CREAT | IPC_EXCL | 0600);
    }
    if (id < 0) throw_errno("create SysV message queue {} (key {:#x})", r.perm.id, r.perm.key);
    created_.push_back({'m', id, {}});
    expect_id("SysV message queue", id, r.perm.id);
    msqid_ds ds{};
    if (::msgctl(id, IPC_STAT, &ds) != 0) throw_errno("IPC_STAT of SysV queue {}", id);
    set_perm(ds.msg_perm, r.perm);
    // Room for every message first; the image's limit may be below what the queue holds.
    ds.msg_qbytes = r.qnum ? std::max<uint64_t>({r.qbytes, r.cbytes, ds.msg_qbytes}) : r.qbytes;
    if (::msgctl(id, IPC_SET, &ds) != 0) throw_errno("set owner, mode and size of SysV queue {}", id);
}

void IpcRestorer::msg(const image::IpcMsqRecord& q, const image::IpcMsgRecord& m, std::span<const std::byte> text) {
    std::vector<std::byte> buf(sizeof(long) + text.size());
    long type = static_cast<long>(m.mtype);
    std::memcpy(buf.data(), &type, sizeof type);
    if (!text.empty()) std::memcpy(buf.data() + sizeof type, text.data(), text.size());
    InIpcNamespace in(init_);
    if (::msgsnd(q.perm.id, buf.data(), text.size(), IPC_NOWAIT) != 0)
        throw_errno("send a message of type {} ({} bytes) to SysV queue {}", m.mtype, text.size(), q.perm.id);
    ++messages_;
    bytes_ += text.size();
    // After the last message: the queue's own byte limit.
    msqid_ds ds{};
    if (::msgctl(q.perm.id, IPC_STAT, &ds) != 0) throw_errno("IPC_STAT of SysV queue {}", q.perm.id);
    if (ds.msg_qnum == q.qnum && ds.msg_qbytes != q.qbytes) {
        ds.msg_qbytes = q.qbytes;
        if (::msgctl(q.perm.id, IPC_SET, &ds) != 0) throw_errno("set the byte limit of SysV queue {}", q.perm.id);
    }
}

void IpcRestorer::sem(const image::IpcSemRecord& r, std::span<const image::IpcSemValue> values) {
    close_current();
    InIpcNamespace in(init_);
    set_next_id("sem_next_id", r.perm.id);
    int id;
    {
        AsCreator as(r.perm.cuid, r.perm.cgid);
        id = ::semget(r.perm.key, static_cast<int>(r.nsems), IPC_CREAT | IPC_EXCL | 0600);
    }
    if (id < 0) throw_errno("create semaphore set {} (key {:#x}, {} semaphores)", r.perm.id, r.perm.key, r.nsems);
    created_.push_back({'e', id, {}});
    expect_id("semaphore set", id, r.perm.id);
    std::vector<unsigned short> vals(r.nsems);
    for (size_t i = 0; i < vals.size(); ++i) vals[i] = static_cast<unsigned short>(values[i].value);
    semun_arg a{};
    a.array = vals.data();
    if (::semctl(id, 0, SETALL, a) != 0) throw_errno("set the values of semaphore set {}", id);
    semid_ds ds{};
    a.buf = &ds;
    if (::semctl(id, 0, IPC_STAT, a) != 0) throw_errno("IPC_STAT of semaphore set {}", id);
    set_perm(ds.sem_perm, r.perm);
    a.buf = &ds;
    if (::semctl(id, 0, IPC_SET, a) != 0) throw_errno("set owner and mode of semaphore set {}", id);
}

void IpcRestorer::mq(const image::IpcMqRecord& r, const std::string& name) {
    close_current();
    InIpcNamespace in(init_);
    mq_attr attr{};
    attr.mq_maxmsg = r.maxmsg;
    attr.mq_msgsize = r.msgsize;
    auto path = "/" + name;
    mqd_t q = ::mq_open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
    if (q == static_cast<mqd_t>(-1))
        throw_errno("create POSIX queue {} (maxmsg {}, msgsize {})", path, r.maxmsg, r.msgsize);
    mq_fd_ = q;
    created_.push_back({'q', 0, name});
    if (::fchown(q, r.uid, r.gid) != 0) throw_errno("set the owner of POSIX queue {}", path);
    if (::fchmod(q, r.mode) != 0) throw_errno("set the mode of POSIX queue {}", path);
}

void IpcRestorer::mq_msg(const image::IpcMqRecord&, const std::string& name, const image::IpcMqMsgRecord& m,
                         std::span<const std::byte> text) {
    if (mq_fd_ < 0) fail("a message for POSIX queue /{} that is not open", name);
    // Sent in receive order, which rebuilds the same queue.
    if (::mq_send(mq_fd_, reinterpret_cast<const char*>(text.data()), text.size(), m.prio) != 0)
        throw_errno("send a message of priority {} ({} bytes) to POSIX queue /{}", m.prio, text.size(), name);
    ++messages_;
    bytes_ += text.size();
}

}  // namespace myrt::cr::ipc
