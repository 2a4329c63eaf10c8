#pragma once
// The IPC section of an image, read one record at a time and checked as it
// goes (the image is hostile): both restore passes feed it the same records,
// the first to index and check, the second to create the objects. Order:
//   IPC_NS
//   IPC_SHM, PAGES...                       ids ascending
//   IPC_MSQ, (IPC_MSG [BUFFER])...          ids ascending, messages oldest first
//   IPC_SEM, BUFFER of IpcSemValue          ids ascending
//   IPC_MQ, STRING name, (IPC_MQ_MSG [BUFFER])...   names ascending, messages in receive order
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "cr/image/record_reader.hpp"
#include "cr/image/records.hpp"

namespace myrt::cr::ipc {

// Absolute bounds, whatever the namespace's limits (those are checked by the
// restore against the target namespace).
inline constexpr uint64_t max_segment_bytes = 1ull << 40;
inline constexpr uint64_t max_message_bytes = image::max_buffer_len;
inline constexpr uint32_t max_sems = 65535;
inline constexpr int32_t max_semval = 32767;
inline constexpr int64_t max_mq_msg = 65536;            // HARD_MSGMAX
inline constexpr int64_t max_mq_msgsize = 16 << 20;     // HARD_MSGSIZEMAX
inline constexpr uint32_t max_mq_prio = 32768;          // MQ_PRIO_MAX
inline constexpr uint32_t max_objects = 1u << 20;

class IpcVisitor {
public:
    virtual ~IpcVisitor() = default;
    // Whether message texts and segment contents are wanted (else skipped).
    virtual bool wants_data() const = 0;
    virtual void ns(const image::IpcNsRecord&) {}
    virtual void sysctls(const image::IpcSysctlRecord&) {}
    virtual void shm(const image::IpcShmRecord&) {}
    virtual void shm_data(const image::IpcShmRecord&, uint64_t /*offset*/, std::span<const std::byte>) {}
    virtual void msq(const image::IpcMsqRecord&) {}
    virtual void msg(const image::IpcMsqRecord&, const image::IpcMsgRecord&, std::span<const std::byte>) {}
    virtual void sem(const image::IpcSemRecord&, std::span<const image::IpcSemValue>) {}
    virtual void mq(const image::IpcMqRecord&, const std::string& /*name*/) {}
    virtual void mq_msg(const image::IpcMqRecord&, const std::string& /*name*/, const image::IpcMqMsgRecord&,
                        std::span<const std::byte>) {}
};

// Whether `h` belongs to the IPC section.
bool is_ipc_record(const image::RecordHeader& h);

class IpcParser {
public:
    explicit IpcParser(IpcVisitor& v) : v_(v) {}
    void feed(image::RecordReader& r, const image::RecordHeader& h);
    // The section is over (the next record is not IPC): anything missing fails.
    void finish(image::RecordReader& r);
    bool seen() const { return have_ns_; }

private:
    enum class Expect { ns, object, msg_text, sem_values, mq_name, mq_msg_text };
    void object_done(image::RecordReader& r);
    void begin_object(image::RecordReader& r, int kind);

    IpcVisitor& v_;
    Expect expect_ = Expect::ns;
    bool have_ns_ = false;
    bool have_sysctls_ = false;
    image::IpcNsRecord counts_{};
    uint32_t seen_[4] = {};
    int kind_ = 0;            // 1 shm, 2 msq, 3 sem, 4 mq
    int64_t last_id_ = -1;
    std::string last_name_;
    image::IpcShmRecord shm_{};
    uint64_t shm_next_offset_ = 0;
    image::IpcMsqRecord msq_{};
    uint64_t msgs_left_ = 0, msg_bytes_ = 0;
    image::IpcMsgRecord msg_{};
    image::IpcSemRecord sem_{};
    image::IpcMqRecord mq_{};
    std::string mq_name_;
    image::IpcMqMsgRecord mq_msg_{};
    uint32_t last_prio_ = 0;
};

// What the first pass keeps: every object's fixed record, and the shmids
// with their sizes (to check the VMAs that map them).
struct IpcIndex final : IpcVisitor {
    bool wants_data() const override { return false; }
    void ns(const image::IpcNsRecord&) override { present = true; }
    void sysctls(const image::IpcSysctlRecord& r) override { ns_sysctls = r; }
    void shm(const image::IpcShmRecord& r) override { shms.push_back(r); }
    void msq(const image::IpcMsqRecord& r) override { msqs.push_back(r); }
    void msg(const image::IpcMsqRecord&, const image::IpcMsgRecord& m, std::span<const std::byte>) override {
        max_msg = std::max(max_msg, m.len);
    }
    void sem(const image::IpcSemRecord& r, std::span<const image::IpcSemValue>) override { sems.push_back(r); }
    void mq(const image::IpcMqRecord& r, const std::string&) override { mqs.push_back(r); }
    const image::IpcShmRecord* find_shm(int32_t id) const;

    bool present = false;
    std::optional<image::IpcSysctlRecord> ns_sysctls;  // absent in images from before record 507
    std::vector<image::IpcShmRecord> shms;
    std::vector<image::IpcMsqRecord> msqs;
    std::vector<image::IpcSemRecord> sems;
    std::vector<image::IpcMqRecord> mqs;
    uint64_t max_msg = 0;
};

}  // namespace myrt::cr::ipc
