#include "cr/ipc/ipc_parser.hpp"

#include <sys/shm.h>

#include <cstring>

#include "cr/ipc/ipc_ns.hpp"
#include "cr/ipc/sysv.hpp"
#include "util/error.hpp"

namespace myrt::cr::ipc {
namespace {

using image::RecordType;

constexpr uint32_t perm_bits = 0777;

const char* kind_name(int kind) {
    static const char* names[] = {"?", "shared memory segment", "message queue", "semaphore set", "POSIX queue"};
    return names[kind >= 1 && kind <= 4 ? kind : 0];
}

void check_perm(image::RecordReader& r, const image::IpcPermRecord& p, uint32_t extra_mode, const char* what) {
    if (p.id < 0) r.fail_at("{} with id {}", what, p.id);
    if (p.mode & ~(perm_bits | extra_mode)) r.fail_at("{} {} has mode {:#o} with unknown bits", what, p.id, p.mode);
    if (p.reserved) r.fail_at("{} {}: reserved field is {:#x}", what, p.id, p.reserved);
}

}  // namespace

bool is_ipc_record(const image::RecordHeader& h) {
    if (h.type >= 500 && h.type < 600) return true;
    auto t = static_cast<RecordType>(h.type);
    return (t == RecordType::buffer || t == RecordType::string || t == RecordType::pages) && is_ipc_objref(h.objref);
}

const image::IpcShmRecord* IpcIndex::find_shm(int32_t id) const {
    for (auto& s : shms)
        if (s.perm.id == id) return &s;
    return nullptr;
}

void IpcParser::object_done(image::RecordReader& r) {
    if (kind_ == 2 && msgs_left_ > 0) r.fail_at("message queue {} misses {} messages", msq_.perm.id, msgs_left_);
    if (kind_ == 2 && msg_bytes_ != msq_.cbytes)
        r.fail_at("message queue {} announces {} bytes, its messages hold {}", msq_.perm.id, msq_.cbytes, msg_bytes_);
    if (kind_ == 4 && msgs_left_ > 0) r.fail_at("POSIX queue {} misses {} messages", mq_name_, msgs_left_);
}

void IpcParser::begin_object(image::RecordReader& r, int kind) {
    if (expect_ != Expect::object) r.fail_at("a {} record where the previous object is not complete", kind_name(kind));
    object_done(r);
    if (kind < kind_) r.fail_at("a {} after the {}s: out of order", kind_name(kind), kind_name(kind_));
    if (kind != kind_) {
        last_id_ = -1;
        last_name_.clear();
    }
    kind_ = kind;
    const uint32_t announced[] = {counts_.nr_shm, counts_.nr_msq, counts_.nr_sem, counts_.nr_mq};
    if (++seen_[kind - 1] > announced[kind - 1])
        r.fail_at("more {}s than the {} the IPC namespace record announces", kind_name(kind), announced[kind - 1]);
    msgs_left_ = 0;
    msg_bytes_ = 0;
}

void IpcParser::feed(image::RecordReader& r, const image::RecordHeader& h) {
    auto type = static_cast<RecordType>(h.type);
    if (type == RecordType::ipc_ns) {
        if (have_ns_) r.fail_at("a second IPC namespace record");
        counts_ = r.read_fixed<RecordType::ipc_ns>();
        if (h.objref != objref(ObjKind::ns, 0)) r.fail_at("IPC namespace record with objref {:#x}", h.objref);
        if (counts_.nr_shm > max_objects || counts_.nr_msq > max_objects || counts_.nr_sem > max_objects ||
            counts_.nr_mq > max_objects)
            r.fail_at("IPC namespace record announces more than {} objects of a kind", max_objects);
        have_ns_ = true;
        expect_ = Expect::object;
        v_.ns(counts_);
        return;
    }
    if (!have_ns_) r.fail_at("{} record before the IPC namespace record", image::record_type_name(h.type));

    switch (type) {
        case RecordType::ipc_sysctl: {
            // Right after IPC_NS, once; the kernel checks each value when it is written back.
            if (have_sysctls_ || kind_ != 0 || expect_ != Expect::object)
                r.fail_at("IPC_SYSCTL record not right after the IPC namespace record, or twice");
            if (h.objref != objref(ObjKind::ns, 0)) r.fail_at("IPC_SYSCTL record with objref {:#x}", h.objref);
            auto s = r.read_fixed<RecordType::ipc_sysctl>();
            for (int32_t v : s.sem)
                if (v < 0) r.fail_at("IPC_SYSCTL: kernel.sem holds the negative value {}", v);
            have_sysctls_ = true;
            v_.sysctls(s);
            return;
        }
        case RecordType::ipc_shm: {
            begin_object(r, 1);
            shm_ = r.read_fixed<RecordType::ipc_shm>();
            check_perm(r, shm_.perm, SHM_DEST | SHM_LOCKED, "shared memory segment");
            if (h.objref != objref(ObjKind::shm, static_cast<uint32_t>(shm_.perm.id)))
                r.fail_at("segment {} with objref {:#x}", shm_.perm.id, h.objref);
            if (shm_.perm.id <= last_id_) r.fail_at("segment {} out of order or twice", shm_.perm.id);
            last_id_ = shm_.perm.id;
            if (shm_.segsz == 0 || shm_.segsz > max_segment_bytes)
                r.fail_at("segment {} of {} bytes (1 to {} allowed)", shm_.perm.id, shm_.segsz, max_segment_bytes);
            if ((shm_.perm.mode & SHM_DEST) && shm_.perm.key != 0)
                r.fail_at("deleted segment {} still has key {:#x}", shm_.perm.id, shm_.perm.key);
            if (shm_.cpid < 0 || shm_.lpid < 0) r.fail_at("segment {} with negative pids", shm_.perm.id);
            shm_next_offset_ = 0;
            v_.shm(shm_);
            return;
        }
        case RecordType::pages: {
            if (expect_ != Expect::object || kind_ != 1 ||
                h.objref != objref(ObjKind::shm, static_cast<uint32_t>(shm_.perm.id)))
                r.fail_at("segment contents (objref {:#x}) outside their segment", h.objref);
            auto p = r.read_fixed<RecordType::pages>();
            uint64_t len = 0;
            uint64_t limit = page_round(shm_.segsz);
            if (!image::pages_contents_len(p, len) || p.page_shift != 12 || (p.vaddr % kPageSize) ||
                p.vaddr < shm_next_offset_ || p.vaddr > limit || len > limit - p.vaddr)
                r.fail_at("contents at offset {:#x} ({} pages) out of order or beyond segment {} of {} bytes",
                          p.vaddr, p.nr_pages, shm_.perm.id, shm_.segsz);
            shm_next_offset_ = p.vaddr + len;
            uint64_t off = p.vaddr;
            if (!v_.wants_data()) {
                r.skip_payload();
                return;
            }
            for (;;) {
                auto chunk = r.read_chunk(8u << 20);
                if (chunk.empty()) break;
                v_.shm_data(shm_, off, chunk);
                off += chunk.size();
            }
            return;
        }
        case RecordType::ipc_msq: {
            begin_object(r, 2);
            msq_ = r.read_fixed<RecordType::ipc_msq>();
            check_perm(r, msq_.perm, 0, "message queue");
            if (h.objref != objref(ObjKind::msq, static_cast<uint32_t>(msq_.perm.id)))
                r.fail_at("message queue {} with objref {:#x}", msq_.perm.id, h.objref);
            if (msq_.perm.id <= last_id_) r.fail_at("message queue {} out of order or twice", msq_.perm.id);
            last_id_ = msq_.perm.id;
            if (msq_.qbytes > INT32_MAX || msq_.cbytes > INT32_MAX || msq_.qnum > msq_.cbytes + (1u << 20) ||
                msq_.lspid < 0 || msq_.lrpid < 0)
                r.fail_at("message queue {}: qbytes {}, cbytes {}, qnum {} out of range", msq_.perm.id, msq_.qbytes,
                          msq_.cbytes, msq_.qnum);
            msgs_left_ = msq_.qnum;
            v_.msq(msq_);
            return;
        }
        case RecordType::ipc_msg: {
            if (expect_ != Expect::object || kind_ != 2 || msgs_left_ == 0 ||
                h.objref != objref(ObjKind::msq, static_cast<uint32_t>(msq_.perm.id)))
                r.fail_at("a message outside its queue (objref {:#x})", h.objref);
            msg_ = r.read_fixed<RecordType::ipc_msg>();
            if (msg_.mtype <= 0 || msg_.len > max_message_bytes || msg_.len > msq_.cbytes - msg_bytes_)
                r.fail_at("message of type {} and {} bytes in queue {} (cbytes {})", msg_.mtype, msg_.len,
                          msq_.perm.id, msq_.cbytes);
            --msgs_left_;
            msg_bytes_ += msg_.len;
            if (msg_.len > 0) {
                expect_ = Expect::msg_text;
            } else {
                v_.msg(msq_, msg_, {});
            }
            return;
        }
        case RecordType::ipc_sem: {
            begin_object(r, 3);
            sem_ = r.read_fixed<RecordType::ipc_sem>();
            check_perm(r, sem_.perm, 0, "semaphore set");
            if (h.objref != objref(ObjKind::sem, static_cast<uint32_t>(sem_.perm.id)))
                r.fail_at("semaphore set {} with objref {:#x}", sem_.perm.id, h.objref);
            if (sem_.perm.id <= last_id_) r.fail_at("semaphore set {} out of order or twice", sem_.perm.id);
            last_id_ = sem_.perm.id;
            if (sem_.nsems == 0 || sem_.nsems > max_sems || sem_.reserved)
                r.fail_at("semaphore set {} with {} semaphores", sem_.perm.id, sem_.nsems);
            expect_ = Expect::sem_values;
            return;
        }
        case RecordType::ipc_mq: {
            begin_object(r, 4);
            mq_ = r.read_fixed<RecordType::ipc_mq>();
            if (mq_.maxmsg < 1 || mq_.maxmsg > max_mq_msg || mq_.msgsize < 1 || mq_.msgsize > max_mq_msgsize ||
                mq_.curmsgs < 0 || mq_.curmsgs > mq_.maxmsg || (mq_.mode & ~perm_bits) || mq_.reserved)
                r.fail_at("POSIX queue with maxmsg {}, msgsize {}, curmsgs {}, mode {:#o} out of range", mq_.maxmsg,
                          mq_.msgsize, mq_.curmsgs, mq_.mode);
            if (h.objref != objref(ObjKind::mq, seen_[3] - 1)) r.fail_at("POSIX queue with objref {:#x}", h.objref);
            msgs_left_ = static_cast<uint64_t>(mq_.curmsgs);
            last_prio_ = max_mq_prio;
            expect_ = Expect::mq_name;
            return;
        }
        case RecordType::ipc_mq_msg: {
            if (expect_ != Expect::object || kind_ != 4 || msgs_left_ == 0 || h.objref != objref(ObjKind::mq, seen_[3] - 1))
                r.fail_at("a POSIX message outside its queue (objref {:#x})", h.objref);
            mq_msg_ = r.read_fixed<RecordType::ipc_mq_msg>();
            // Receive order: priorities never rise.
            if (mq_msg_.prio >= max_mq_prio || mq_msg_.prio > last_prio_ || mq_msg_.reserved ||
                mq_msg_.len > static_cast<uint64_t>(mq_.msgsize))
                r.fail_at("POSIX message of priority {} and {} bytes in queue {} (msgsize {})", mq_msg_.prio, mq_msg_.len,
                          mq_name_, mq_.msgsize);
            last_prio_ = mq_msg_.prio;
            --msgs_left_;
            if (mq_msg_.len > 0)
                expect_ = Expect::mq_msg_text;
            else
                v_.mq_msg(mq_, mq_name_, mq_msg_, {});
            return;
        }
        case RecordType::string: {
            if (expect_ != Expect::mq_name || h.objref != objref(ObjKind::mq, seen_[3] - 1))
                r.fail_at("a name (objref {:#x}) where none belongs", h.objref);
            mq_name_ = r.read_string();
            if (mq_name_.empty() || mq_name_.size() > 255 || mq_name_.find('/') != std::string::npos ||
                mq_name_ == "." || mq_name_ == ".." || mq_name_.find('\0') != std::string::npos)
                r.fail_at("POSIX queue name \"{}\" is not a valid name", mq_name_);
            if (!last_name_.empty() && mq_name_ <= last_name_)
                r.fail_at("POSIX queue {} out of order or twice", mq_name_);
            last_name_ = mq_name_;
            expect_ = Expect::object;
            v_.mq(mq_, mq_name_);
            return;
        }
        case RecordType::buffer: {
            if (expect_ == Expect::msg_text) {
                if (h.objref != objref(ObjKind::msq, static_cast<uint32_t>(msq_.perm.id)) || h.len != msg_.len)
                    r.fail_at("message text of {} bytes (objref {:#x}) where {} bytes of queue {} belong", h.len,
                              h.objref, msg_.len, msq_.perm.id);
                expect_ = Expect::object;
                if (!v_.wants_data()) {
                    r.skip_payload();
                    v_.msg(msq_, msg_, {});
                    return;
                }
                auto text = r.read_buffer();
                v_.msg(msq_, msg_, text);
                return;
            }
            if (expect_ == Expect::mq_msg_text) {
                if (h.objref != objref(ObjKind::mq, seen_[3] - 1) || h.len != mq_msg_.len)
                    r.fail_at("POSIX message text of {} bytes where {} bytes of queue {} belong", h.len, mq_msg_.len,
                              mq_name_);
                expect_ = Expect::object;
                if (!v_.wants_data()) {
                    r.skip_payload();
                    v_.mq_msg(mq_, mq_name_, mq_msg_, {});
                    return;
                }
                auto text = r.read_buffer();
                v_.mq_msg(mq_, mq_name_, mq_msg_, text);
                return;
            }
            if (expect_ == Expect::sem_values) {
                if (h.objref != objref(ObjKind::sem, static_cast<uint32_t>(sem_.perm.id)) ||
                    h.len != uint64_t{sem_.nsems} * sizeof(image::IpcSemValue))
                    r.fail_at("semaphore values of {} bytes where {} semaphores of set {} belong", h.len, sem_.nsems,
                              sem_.perm.id);
                auto bytes = r.read_buffer();
                std::vector<image::IpcSemValue> values(sem_.nsems);
                std::memcpy(values.data(), bytes.data(), bytes.size());
                for (auto& v : values)
                    if (v.value < 0 || v.value > max_semval || v.pid < 0)
                        r.fail_at("semaphore value {} (pid {}) in set {} out of range", v.value, v.pid, sem_.perm.id);
                expect_ = Expect::object;
                v_.sem(sem_, values);
                return;
            }
            r.fail_at("an IPC buffer (objref {:#x}) where none belongs", h.objref);
        }
        default:
            r.fail_at("unexpected {} record in the IPC section", image::record_type_name(h.type));
    }
}

void IpcParser::finish(image::RecordReader& r) {
    if (!have_ns_) return;
    if (expect_ != Expect::object) r.fail_at("the IPC section ends inside an object");
    object_done(r);
    if (seen_[0] != counts_.nr_shm || seen_[1] != counts_.nr_msq || seen_[2] != counts_.nr_sem ||
        seen_[3] != counts_.nr_mq)
        r.fail_at("the IPC section holds {}/{}/{}/{} segments/queues/sets/POSIX queues, its header announces {}/{}/{}/{}",
                  seen_[0], seen_[1], seen_[2], seen_[3], counts_.nr_shm, counts_.nr_msq, counts_.nr_sem, counts_.nr_mq);
    expect_ = Expect::ns;  // no second section
}

}  // namespace myrt::cr::ipc
