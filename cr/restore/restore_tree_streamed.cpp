#include "cr/restore/restore_tree_streamed.hpp"

#include <linux/sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <map>

#include "cr/driver/sections.hpp"
#include "cr/restore/page_fill_lanes.hpp"
#include "cr/task/tree.hpp"
#include "cr/ptrace/inject.hpp"
#include "cr/task/restore_task.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

int32_t inner_pid(const ProcessState& s) { return s.core.ids.ns_pid[s.core.ids.ns_depth - 1]; }

// Pages of one process, read from the stream as fill_memory asks for them.
// Records that the fill can take off the tracer's thread are read from the
// image file by PageFillLanes instead, and the stream skips them.
class StreamPageSource final : public PageSource {
public:
    StreamPageSource(image::RecordReader& r, int image_fd, uint32_t index, const std::vector<PageRange>& ranges)
        : reader_(r), image_fd_(image_fd), index_(index), ranges_(ranges) {}
    bool has_contents(const Vma& vma) const override {
        for (auto& r : ranges_)
            if (r.start < vma.rec.end && r.end > vma.rec.start) return true;
        return false;
    }
    void for_each_chunk(const ChunkFn& fn) override { read_records(fn, nullptr); }
    void for_each_chunk(const ChunkFn& fn, const OffThreadFill& off) override {
        if (image_fd_ < 0 || !off.takes) return read_records(fn, nullptr);
        PageFillLanes lanes(image_fd_, reader_.describe(), off.fill);
        read_records(fn, [&](const image::PagesRecord& p, uint64_t len) {
            // The first pass recorded where each record's contents lie; the
            // stream must agree before the file is read there directly.
            if (next_range_ >= ranges_.size() || ranges_[next_range_].start != p.vaddr ||
                ranges_[next_range_].contents_offset != reader_.offset())
                fail("image {} changed while it was being restored (PAGES at {:#x})", reader_.describe(), p.vaddr);
            if (!off.takes(p.vaddr, len)) {
                lanes.fold_into(reader_, true);  // the reader hashes this one, after every earlier record
                return false;
            }
            uint64_t at = reader_.offset();
            reader_.skip_contents_hashed_elsewhere();
            lanes.fill(p.vaddr, at, len);
            lanes.fold_into(reader_, false);
            return true;
        }, &lanes);
    }
    uint64_t bytes = 0;

private:
    // `elsewhere(record, len)` may take a record's contents (true) before they are read here.
    using Elsewhere = std::function<bool(const image::PagesRecord&, uint64_t len)>;
    void read_records(const ChunkFn& fn, const Elsewhere& elsewhere, PageFillLanes* lanes = nullptr) {
        for (;;) {
            auto h = reader_.next();
            if (!h) fail("the image ended inside the memory of process {}", index_);
            if (h->type == static_cast<uint32_t>(image::RecordType::pages)) {
                auto p = reader_.read_fixed<image::RecordType::pages>();
                uint64_t len = reader_.payload_remaining();
                bool taken = elsewhere && elsewhere(p, len);
                ++next_range_;
                if (taken) {
                    bytes += len;
                    continue;
                }
                uint64_t addr = p.vaddr;
                for (;;) {
                    auto chunk = reader_.read_chunk(8u << 20);
                    if (chunk.empty()) break;
                    fn(addr, chunk);
                    addr += chunk.size();
                    bytes += chunk.size();
                }
            } else if (h->objref == driver::section::memory_end) {
                if (lanes) lanes->fold_into(reader_, true);
                reader_.read_buffer();  // its index was checked by the first pass
                return;
            } else {
                fail("unexpected {} record inside the memory of process {}", image::record_type_name(h->type), index_);
            }
        }
    }

    image::RecordReader& reader_;
    int image_fd_;
    uint32_t index_;
    const std::vector<PageRange>& ranges_;
    size_t next_range_ = 0;
};

void inject_checked(SeizedProcess& p, const std::string& what, long nr, uint64_t a1 = 0, uint64_t a2 = 0) {
    Injector inj(p.pid());
    inj.checked(what, nr, a1, a2);
    inj.finish();
}

}  // namespace

std::vector<SeizedProcess> restore_tree_streamed(SeizedProcess root, const ImageIndex& idx,
                                                 image::RecordReader& reader, int image_fd, TreeRestoreTimings& timings,
                                                 const std::function<void(size_t, SeizedProcess&)>& before_state) {
    const auto& images = idx.processes;
    std::vector<SeizedProcess> procs;
    procs.push_back(std::move(root));
    std::map<int32_t, size_t> by_dump_pid;
    for (size_t i = 0; i < images.size(); ++i) by_dump_pid[images[i].core.ids.pid] = i;
    try {
        auto t = Clock::now();
        // A session leader calls setsid as soon as it exists, before its own
        // children are forked, so they are born into its session (setsid
        // needs a process that leads no group, which a fresh child is); a
        // group leader makes its group at once too. Joining another group
        // waits until every group exists.
        for (size_t i = 1; i < images.size(); ++i) {
            auto parent = by_dump_pid.find(images[i].core.ids.ppid);
            if (parent == by_dump_pid.end() || parent->second >= i)
                fail("process {} of the image has no parent restored before it", inner_pid(images[i]));
            pid_t child = fork_child(procs[parent->second], inner_pid(images[i]));
            procs.push_back(SeizedProcess::adopt(child, SeizedTask::adopt_stopped(child)));
            const auto& ids = images[i].core.ids;
            if (ids.ns_sid == inner_pid(images[i]))
                inject_checked(procs[i], fmt::format("setsid for session leader {}", ids.ns_sid), SYS_setsid);
            else if (ids.ns_pgid == inner_pid(images[i]))
                inject_checked(procs[i], fmt::format("setpgid for group leader {}", ids.ns_pgid), SYS_setpgid, 0, 0);
        }
        for (size_t i = 1; i < images.size(); ++i) {
            const auto& ids = images[i].core.ids;
            if (ids.ns_sid == inner_pid(images[i]) || ids.ns_pgid == inner_pid(images[i]) || ids.ns_pgid == 0) continue;
            inject_checked(procs[i], fmt::format("setpgid to group {}", ids.ns_pgid), SYS_setpgid, 0,
                           static_cast<uint64_t>(ids.ns_pgid));
        }
        timings.forking_ms = ms_since(t);
        t = Clock::now();
        if (before_state)
            for (size_t i = 0; i < images.size(); ++i) before_state(i, procs[i]);
        for (size_t i = 0; i < images.size(); ++i) {
            StreamPageSource pages(reader, image_fd, static_cast<uint32_t>(i), idx.pages[i]);
            auto t_proc = restore_process(procs[i], images[i], pages);
            timings.bytes += pages.bytes;
            timings.copied_bytes += t_proc.copied_bytes;
        }
        if (reader.next()) fail("records follow the memory of the last process in the image");
        timings.restore_ms = ms_since(t);
    } catch (...) {
        for (auto it = procs.rbegin(); it != procs.rend(); ++it) it->kill_and_reap();
        throw;
    }
    return procs;
}

}  // namespace myrt::cr
