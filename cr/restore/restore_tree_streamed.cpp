#include "cr/restore/restore_tree_streamed.hpp"

#include <linux/sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <chrono>
#include <cstring>
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <tuple>

#include "cr/driver/sections.hpp"
#include "cr/restore/page_fill_lanes.hpp"
#include "cr/task/tree.hpp"
#include "cr/ptrace/inject.hpp"
#include "cr/task/restore_task.hpp"
#include "cr/task/tree_ids.hpp"
#include "cr/task/tuning.hpp"
#include "cr/task/zombies.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

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
    StreamPageSource(image::RecordReader& r, int image_fd, uint32_t index, const std::vector<PageRange>& ranges,
                     const std::vector<driver::ParentExtent>* parent_extents)
        : reader_(r), image_fd_(image_fd), index_(index), ranges_(ranges), parent_extents_(parent_extents) {}
    bool has_contents(const Vma& vma) const override {
        for (auto& r : ranges_)
            if (r.start < vma.rec.end && r.end > vma.rec.start) return true;
        if (parent_extents_)  // predump
            for (auto& e : *parent_extents_)
                if (e.start < vma.rec.end && e.end > vma.rec.start) return true;
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
            if (h->type == static_cast<uint32_t>(image::RecordType::cow_pages)) {
                reader_.read_fixed<image::RecordType::cow_pages>();  // proc20: kept by the index, inherited by fork
            } else if (h->type == static_cast<uint32_t>(image::RecordType::pages)) {
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
            } else if (h->type == static_cast<uint32_t>(image::RecordType::parent_pages)) {
                reader_.read_fixed<image::RecordType::parent_pages>();  // predump: resolved into parent_extents_
            } else if (h->objref == driver::section::memory_end) {
                if (lanes) lanes->fold_into(reader_, true);
                reader_.read_buffer();  // its index was checked by the first pass
                fill_from_parents(fn);
                return;
            } else {
                fail("unexpected {} record inside the memory of process {}", image::record_type_name(h->type), index_);
            }
        }
    }

    // predump: the pages named as the parent's, read from the parent images
    // (checked against their TAILs by the chain's first pass).
    void fill_from_parents(const ChunkFn& fn) {
        if (!parent_extents_ || parent_extents_->empty()) return;
        constexpr size_t kPiece = 1u << 20;
        auto buffer = std::make_unique<std::byte[]>(kPiece);
        for (const auto& e : *parent_extents_) {
            for (uint64_t at = e.start; at < e.end;) {
                size_t want = static_cast<size_t>(std::min<uint64_t>(kPiece, e.end - at));
                size_t got = 0;
                while (got < want) {
                    ssize_t n = ::pread(e.fd->get(), buffer.get() + got, want - got,
                                        static_cast<off_t>(e.offset + (at - e.start) + got));
                    if (n < 0 && errno == EINTR) continue;
                    if (n <= 0) fail("parent image {} ended or failed while its pages were read", *e.image);
                    got += static_cast<size_t>(n);
                }
                fn(at, std::span<const std::byte>(buffer.get(), want));
                bytes += want;
                at += want;
            }
        }
    }

    image::RecordReader& reader_;
    int image_fd_;
    uint32_t index_;
    const std::vector<PageRange>& ranges_;
    const std::vector<driver::ParentExtent>* parent_extents_;
    size_t next_range_ = 0;
};

// MAP_SHARED|MAP_ANONYMOUS memory is one shmem object however many
// processes map it (a fork shares it): the first process of the image that
// maps an object creates it, and every later one maps that same object,
// opened through the first one's /proc/PID/map_files entry, at its own
// offset. Objects are told apart by their shmem inode.
class SharedAnonObjects {
public:
    // `st` with its mappings of objects an earlier process made redirected to
    // them (as file mappings); nullopt when it has none.
    std::optional<ProcessState> redirect(const ProcessState& st) {
        std::optional<ProcessState> out;
        for (size_t k = 0; k < st.vmas.size(); ++k) {
            const auto& v = st.vmas[k];
            if (!is_shared_anon(v)) continue;
            auto key = std::make_tuple(v.rec.dev_major, v.rec.dev_minor, v.rec.inode);
            auto it = first_.find(key);
            if (it == first_.end()) {
                first_.emplace(key, fmt::format("/proc/{}/map_files/{:x}-{:x}", inner_pid(st), v.rec.start, v.rec.end));
                continue;
            }
            if (it->second.starts_with(fmt::format("/proc/{}/", inner_pid(st)))) continue;  // within one process: as before
            if (!out) out = st;
            auto& r = out->vmas[k];
            r.path = it->second;
            r.rec.kind = VmaKind::file;
            r.rec.deleted = 0;
        }
        return out;
    }

private:
    static bool is_shared_anon(const Vma& v) {
        return v.rec.shared && v.rec.kind == VmaKind::anonymous && v.path.starts_with("/dev/zero");
    }
    std::map<std::tuple<uint32_t, uint32_t, uint64_t>, std::string> first_;
};

void inject_checked(SeizedProcess& p, const std::string& what, long nr, uint64_t a1 = 0, uint64_t a2 = 0) {
    Injector inj(p.pid());
    inj.checked(what, nr, a1, a2);
    inj.finish();
}

}  // namespace

std::vector<SeizedProcess> restore_tree_streamed(SeizedProcess root, const ImageIndex& idx,
                                                 image::RecordReader& reader, int image_fd, TreeRestoreTimings& timings,
                                                 const std::function<void(size_t, SeizedProcess&)>& before_state,
                                                 const std::function<void(SeizedProcess&, int32_t)>& session_made) {
    const auto& images = idx.processes;
    std::vector<SeizedProcess> procs;
    procs.reserve(images.size());
    procs.push_back(std::move(root));
    // Tasks that live only while the tree is built: zombies-to-be, and
    // holders of group and session ids whose leader is gone.
    struct Transient {
        SeizedProcess proc;
        size_t parent;               // index in procs
        const ZombieRecord* zombie;  // null: an id holder
        int32_t ns_pid;              // its pid as its parent sees it
    };
    std::vector<Transient> transient;
    transient.reserve(64);
    auto inject_ids = [](SeizedProcess& p, int32_t pid, int32_t pgid, int32_t sid) {
        if (sid == pid)
            inject_checked(p, fmt::format("setsid for session leader {}", sid), SYS_setsid);
        else if (pgid == pid)
            inject_checked(p, fmt::format("setpgid for group leader {}", pgid), SYS_setpgid, 0, 0);
    };
    // proc20: with pages a process shares copy-on-write with its parent, each
    // address space is rebuilt as soon as its process exists, before its
    // children are forked from it: they inherit those pages by the fork.
    const bool fork_after_memory =
        std::any_of(idx.cow.begin(), idx.cow.end(), [](const std::vector<PageRun>& c) { return !c.empty(); });
    std::vector<std::unique_ptr<StreamPageSource>> sources(images.size());
    std::vector<std::optional<ProcessState>> redirected(images.size());
    std::vector<std::optional<RestoredAddressSpace>> spaces(images.size());
    SharedAnonObjects shared_anon;
    auto page_source = [&](size_t i) -> StreamPageSource& {
        sources[i] = std::make_unique<StreamPageSource>(reader, image_fd, static_cast<uint32_t>(i), idx.pages[i],
                                                        i < idx.parent_extents.size() ? &idx.parent_extents[i] : nullptr);
        redirected[i] = shared_anon.redirect(images[i]);
        return *sources[i];
    };
    auto state_of = [&](size_t i) -> const ProcessState& { return redirected[i] ? *redirected[i] : images[i]; };
    auto restore_memory_of = [&](size_t i) {
        auto& pages = page_source(i);
        spaces[i] = restore_address_space(procs[i], state_of(i), pages, idx.cow[i]);
        timings.bytes += pages.bytes;
        timings.copied_bytes += spaces[i]->timings.copied_bytes;
    };
    try {
        auto t = Clock::now();
        auto plan = plan_tree_ids(images);
        if (session_made && images[0].core.ids.ns_sid == inner_pid(images[0])) session_made(procs[0], inner_pid(images[0]));
        for (size_t i = 1; i < images.size(); ++i)
            if (!idx.cow[i].empty() && plan.creator[i] == forked_by_session_holder)
                fail("process {} of the image shares pages with a parent it is not forked from on restore",
                     inner_pid(images[i]));
        std::vector<size_t> session_transient;  // plan.sessions[k] -> index in transient
        for (auto& h : plan.sessions) {
            pid_t pid = fork_child(procs[0], h.ns_pid);
            session_transient.push_back(transient.size());
            transient.push_back({SeizedProcess::adopt(pid, SeizedTask::adopt_stopped(pid)), 0, nullptr, h.ns_pid});
            inject_checked(transient.back().proc, fmt::format("setsid for the holder of session {}", h.ns_pid), SYS_setsid);
        }
        if (fork_after_memory) restore_memory_of(0);
        // A session leader calls setsid as soon as it exists, before its own
        // children are forked, so they are born into its session (setsid
        // needs a process that leads no group, which a fresh child is); a
        // group leader makes its group at once too. Joining another group
        // waits until every group exists.
        for (size_t i = 1; i < images.size(); ++i) {
            const auto& ids = images[i].core.ids;
            SeizedProcess& creator = plan.creator[i] == forked_by_session_holder
                                         ? transient[session_transient[plan.session_holder.at(ids.ns_sid)]].proc
                                         : procs[plan.creator[i]];
            pid_t child = fork_child(creator, inner_pid(images[i]));
            procs.push_back(SeizedProcess::adopt(child, SeizedTask::adopt_stopped(child)));
            inject_ids(procs[i], inner_pid(images[i]), ids.ns_pgid, ids.ns_sid);
            if (session_made && ids.ns_sid == inner_pid(images[i])) session_made(procs[i], ids.ns_sid);
            if (fork_after_memory) restore_memory_of(i);
        }
        for (size_t i = 0; i < images.size(); ++i)
            for (auto& z : images[i].zombies) {
                pid_t pid = fork_child(procs[i], z.ns_pid, z.exit_signal);
                transient.push_back({SeizedProcess::adopt(pid, SeizedTask::adopt_stopped(pid)), i, &z, z.ns_pid});
                inject_ids(transient.back().proc, z.ns_pid, z.ns_pgid, z.ns_sid);
            }
        for (auto& h : plan.groups) {
            pid_t pid = fork_child(procs[h.creator], h.ns_pid);
            transient.push_back({SeizedProcess::adopt(pid, SeizedTask::adopt_stopped(pid)), h.creator, nullptr, h.ns_pid});
            inject_checked(transient.back().proc, fmt::format("setpgid for the holder of group {}", h.ns_pid), SYS_setpgid,
                           0, 0);
        }
        auto join = [](SeizedProcess& p, int32_t pid, int32_t pgid, int32_t sid) {
            if (sid == pid || pgid == pid || pgid == 0) return;
            inject_checked(p, fmt::format("setpgid of process {} to group {}", pid, pgid), SYS_setpgid, 0,
                           static_cast<uint64_t>(pgid));
        };
        for (size_t i = 1; i < images.size(); ++i) {
            const auto& ids = images[i].core.ids;
            join(procs[i], inner_pid(images[i]), ids.ns_pgid, ids.ns_sid);
        }
        for (auto& tr : transient)
            if (tr.zombie) join(tr.proc, tr.zombie->ns_pid, tr.zombie->ns_pgid, tr.zombie->ns_sid);
        // The tree is built: zombies exit as they did, id holders end, and
        // the restore reaps the holders (their ids live on in the members).
        // The signals those exits queued in the parents go: the parents'
        // pending signals are the image's, queued later.
        std::map<size_t, uint64_t> signalled;
        for (auto& tr : transient) {
            pid_t pid = tr.proc.pid();
            tr.proc.release();
            if (tr.zombie) make_zombie_exit(pid, *tr.zombie);
            else end_id_holder(pid);
            int sig = tr.zombie ? tr.zombie->exit_signal : SIGCHLD;
            if (sig > 0) signalled[tr.parent] |= uint64_t{1} << (sig - 1);
        }
        for (auto& tr : transient)
            if (!tr.zombie) reap_child(procs[tr.parent], tr.ns_pid);
        for (auto& [parent, sigs] : signalled) drop_child_signals(procs[parent], sigs);
        transient.clear();
        timings.forking_ms = ms_since(t);
        t = Clock::now();
        if (before_state)
            for (size_t i = 0; i < images.size(); ++i) before_state(i, procs[i]);
        for (size_t i = 0; i < images.size(); ++i) {
            if (fork_after_memory) {
                restore_process_state(procs[i], state_of(i), *spaces[i], *sources[i]);
            } else {
                auto& pages = page_source(i);
                auto t_proc = restore_process(procs[i], state_of(i), pages);
                timings.bytes += pages.bytes;
                timings.copied_bytes += t_proc.copied_bytes;
            }
            restore_tuning(procs[i], images[i], [](const std::string& l) { log::warn("{}", l); });
        }
        if (reader.next()) fail("records follow the memory of the last process in the image");
        timings.restore_ms = ms_since(t);
    } catch (...) {
        for (auto it = transient.rbegin(); it != transient.rend(); ++it) it->proc.kill_and_reap();
        for (auto it = procs.rbegin(); it != procs.rend(); ++it) it->kill_and_reap();
        throw;
    }
    return procs;
}

}  // namespace myrt::cr
