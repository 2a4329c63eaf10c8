#pragma once
// Restore of a container's IPC namespace, before its tasks: every object is
// recreated with the same id (kernel.*_next_id of the container's namespace),
// key, creator, owner, mode and contents; the tasks then attach their
// segments at their addresses (cr/memory, VmaKind::sysv_shm). Segments that
// were deleted but attached (SHM_DEST) are removed by the deferred queue once
// the whole restore succeeded. A failure removes every object created.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cr/image/record_reader.hpp"
#include "cr/ipc/ipc_parser.hpp"
#include "cr/memory/vma.hpp"
#include "cr/objhash/deferred_queue.hpp"

namespace myrt::cr::ipc {

// First pass: a process's VMAs that map SysV segments must name a segment of
// the image and map it whole.
void check_vmas(const IpcIndex& idx, const std::vector<Vma>& vmas, int32_t pid);

class IpcRestorer final : public IpcVisitor {
public:
    // Checks the image's objects against the limits of `init`'s IPC
    // namespace, and that namespace is the container's own and empty,
    // before anything is created.
    IpcRestorer(pid_t init, const IpcIndex& idx, objhash::DeferredQueue& deferred);
    ~IpcRestorer() override;
    IpcRestorer(const IpcRestorer&) = delete;
    IpcRestorer& operator=(const IpcRestorer&) = delete;

    void feed(image::RecordReader& r, const image::RecordHeader& h) { parser_.feed(r, h); }
    // The section is over: from here the objects belong to the container.
    void finish(image::RecordReader& r);
    std::string summary() const;

    bool wants_data() const override { return true; }
    void shm(const image::IpcShmRecord&) override;
    void shm_data(const image::IpcShmRecord&, uint64_t offset, std::span<const std::byte>) override;
    void msq(const image::IpcMsqRecord&) override;
    void msg(const image::IpcMsqRecord&, const image::IpcMsgRecord&, std::span<const std::byte>) override;
    void sem(const image::IpcSemRecord&, std::span<const image::IpcSemValue>) override;
    void mq(const image::IpcMqRecord&, const std::string& name) override;
    void mq_msg(const image::IpcMqRecord&, const std::string& name, const image::IpcMqMsgRecord&,
                std::span<const std::byte>) override;

private:
    void close_current();
    void rollback() noexcept;

    pid_t init_;
    objhash::DeferredQueue& deferred_;
    IpcParser parser_{*this};
    struct Created {
        char kind;  // 's' shm, 'm' msq, 'e' sem, 'q' mq
        int id;
        std::string name;
    };
    std::vector<Created> created_;
    bool committed_ = false;
    std::optional<uint64_t> rmid_forced_;  // kernel.shm_rmid_forced, written once the segments are filled
    void* shm_at_ = nullptr;
    uint64_t shm_len_ = 0;
    int mq_fd_ = -1;
    uint64_t bytes_ = 0, messages_ = 0;
};

}  // namespace myrt::cr::ipc
