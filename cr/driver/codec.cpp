#include "cr/driver/codec.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "cr/task/posix_timers.hpp"
#include "cr/task/zombies.hpp"
#include "util/error.hpp"

namespace myrt::cr::driver {
namespace {

// Limits no real process reaches; an image beyond them is refused.
constexpr uint32_t max_groups = 65536;
constexpr uint32_t max_path = 4096;
constexpr uint32_t max_auxv = 512;
constexpr uint32_t max_siginfo = 4096;
constexpr uint32_t max_filters = 64;
constexpr uint32_t max_filter_insns = 4096;  // BPF_MAXINSNS
constexpr uint32_t max_threads = 65536;
constexpr uint32_t max_fpu = 1u << 16;
constexpr uint32_t max_vmas = 1u << 20;
constexpr uint32_t max_timers = 1u << 16;
constexpr uint32_t max_file_locks = 1u << 16;

class Encoder {
public:
    template <class T>
    void raw(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        auto* p = reinterpret_cast<const std::byte*>(&v);
        out.insert(out.end(), p, p + sizeof v);
    }
    void u32(uint32_t v) { raw(v); }
    void bytes(const void* p, size_t n) {
        auto* b = static_cast<const std::byte*>(p);
        out.insert(out.end(), b, b + n);
    }
    void str(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        bytes(s.data(), s.size());
    }
    template <class T>
    void vec(const std::vector<T>& v) {
        u32(static_cast<uint32_t>(v.size()));
        bytes(v.data(), v.size() * sizeof(T));
    }
    std::vector<std::byte> out;
};

class Decoder {
public:
    Decoder(std::span<const std::byte> d, const char* what) : data_(d), what_(what) {}
    void take(void* dst, size_t n, const char* field) {
        if (n > data_.size() - pos_)
            fail("{} section is truncated at byte {} (reading {}, {} bytes needed, {} left)", what_, pos_, field, n,
                 data_.size() - pos_);
        std::memcpy(dst, data_.data() + pos_, n);
        pos_ += n;
    }
    template <class T>
    T raw(const char* field) {
        T v{};
        take(&v, sizeof v, field);
        return v;
    }
    uint32_t count(const char* field, uint32_t max) {
        auto n = raw<uint32_t>(field);
        if (n > max) fail("{} section: {} count {} is over the limit of {}", what_, field, n, max);
        return n;
    }
    std::string str(const char* field, uint32_t max = max_path) {
        auto n = count(field, max);
        std::string s(n, '\0');
        take(s.data(), n, field);
        if (s.find('\0') != std::string::npos) fail("{} section: {} holds a NUL byte", what_, field);
        return s;
    }
    template <class T>
    std::vector<T> vec(const char* field, uint32_t max) {
        auto n = count(field, max);
        need(uint64_t{n} * sizeof(T), field);  // before the allocation: the count is the image's word
        std::vector<T> v(n);
        take(v.data(), n * sizeof(T), field);
        return v;
    }
    void need(uint64_t n, const char* field) const {
        if (n > data_.size() - pos_)
            fail("{} section is truncated at byte {} (reading {}, {} bytes needed, {} left)", what_, pos_, field, n,
                 data_.size() - pos_);
    }
    void done() const {
        if (pos_ != data_.size()) fail("{} section has {} unexpected trailing bytes", what_, data_.size() - pos_);
    }

private:
    std::span<const std::byte> data_;
    size_t pos_ = 0;
    const char* what_;
};

}  // namespace

std::vector<std::byte> encode_process(const ProcessState& st) {
    Encoder e;
    e.raw(st.core);
    e.vec(st.groups);
    e.str(st.cwd);
    e.str(st.root);
    e.str(st.exe);
    e.vec(st.auxv);
    e.vec(st.shared_pending);
    e.u32(static_cast<uint32_t>(st.seccomp.size()));
    for (auto& f : st.seccomp) e.vec(f);
    e.u32(static_cast<uint32_t>(st.threads.size()));
    for (auto& t : st.threads) {
        e.raw(t.core);
        e.vec(t.fpu);
        e.vec(t.pending);
    }
    e.u32(static_cast<uint32_t>(st.vmas.size()));
    for (auto& v : st.vmas) {
        e.raw(v.rec);
        e.str(v.path);
    }
    e.vec(st.posix_timers);
    e.vec(st.file_locks);
    e.vec(st.zombies);
    e.raw(st.tuning);
    e.vec(st.thread_sched);
    for (auto& t : st.threads) {
        e.raw(t.creds);
        e.vec(t.groups);
    }
    return std::move(e.out);
}

ProcessState decode_process(std::span<const std::byte> data, uint32_t vma_limit) {
    Decoder d(data, "process");
    ProcessState st;
    st.core = d.raw<ProcessCoreRecord>("the process core");
    const auto& ids = st.core.ids;
    if (ids.ns_depth < 1 || ids.ns_depth > kMaxPidNsDepth)
        fail("process section: pid namespace depth {} is outside 1..{}", ids.ns_depth, kMaxPidNsDepth);
    for (int i = 0; i < ids.ns_depth; ++i)
        if (ids.ns_pid[i] <= 0) fail("process section: pid {} at namespace level {} is not positive", ids.ns_pid[i], i);
    st.groups = d.vec<uint32_t>("groups", max_groups);
    st.cwd = d.str("cwd");
    st.root = d.str("root");
    st.exe = d.str("exe");
    st.auxv = d.vec<uint64_t>("auxv", max_auxv);
    st.shared_pending = d.vec<siginfo_t>("shared pending signals", max_siginfo);
    auto nfilters = d.count("seccomp filters", max_filters);
    for (uint32_t i = 0; i < nfilters; ++i) {
        auto f = d.vec<sock_filter>("seccomp filter instructions", max_filter_insns);
        if (f.empty()) fail("process section: seccomp filter {} is empty", i);
        st.seccomp.push_back(std::move(f));
    }
    auto nthreads = d.count("threads", max_threads);
    d.need(uint64_t{nthreads} * (sizeof(ThreadCoreRecord) + 2 * sizeof(uint32_t)), "threads");
    if (nthreads == 0 && !st.core.leader_exited) fail("process section: process {} has no thread", ids.pid);
    for (uint32_t i = 0; i < nthreads; ++i) {
        ThreadState t;
        t.core = d.raw<ThreadCoreRecord>("a thread core");
        if (t.core.ns_tid <= 0) fail("process section: thread id {} is not positive", t.core.ns_tid);
        t.fpu = d.vec<std::byte>("FPU state", max_fpu);
        if (t.fpu.size() != t.core.fpu_size)
            fail("process section: thread {} FPU state is {} bytes but its record says {}", t.core.ns_tid,
                 t.fpu.size(), t.core.fpu_size);
        t.pending = d.vec<siginfo_t>("thread pending signals", max_siginfo);
        st.threads.push_back(std::move(t));
    }
    auto nvmas = d.count("VMAs", std::min(max_vmas, vma_limit));
    // Each VMA takes at least its record and a path length: no more can follow.
    d.need(uint64_t{nvmas} * (sizeof(VmaRecord) + sizeof(uint32_t)), "VMAs");
    st.vmas.reserve(nvmas);
    uint64_t prev_end = 0;
    for (uint32_t i = 0; i < nvmas; ++i) {
        Vma v;
        v.rec = d.raw<VmaRecord>("a VMA");
        v.path = d.str("a VMA path");
        if (v.rec.start >= v.rec.end || (v.rec.start & 4095) || (v.rec.end & 4095) || v.rec.start < prev_end)
            fail("process section: VMA {:#x}-{:#x} is empty, unaligned or out of order", v.rec.start, v.rec.end);
        prev_end = v.rec.end;
        st.vmas.push_back(std::move(v));
    }
    st.posix_timers = d.vec<PosixTimerRecord>("POSIX timers", max_timers);
    for (auto& t : st.posix_timers) check_posix_timer(t);
    st.file_locks = d.vec<FileLockRecord>("file locks", max_file_locks);
    for (auto& l : st.file_locks)
        if (l.fd < 0 || l.kind < 1 || l.kind > 3 || l.write > 1 || l.start < 0 || l.end < -1 || (l.end >= 0 && l.end < l.start))
            fail("process section: file lock on fd {} of process {} is invalid", l.fd, ids.pid);
    st.zombies = d.vec<ZombieRecord>("zombie children", max_threads);
    for (auto& z : st.zombies) check_zombie(z, ids.pid);
    st.tuning = d.raw<ProcessTuningRecord>("the process tuning");
    if (st.tuning.present > 1 || st.tuning.oom_score_adj < -1000 || st.tuning.oom_score_adj > 1000 || st.tuning.thp_disable > 1)
        fail("process section: oom_score_adj {} or THP setting {} of process {} is invalid", st.tuning.oom_score_adj,
             st.tuning.thp_disable, ids.pid);
    st.thread_sched = d.vec<ThreadSchedRecord>("thread scheduling", max_threads);
    // The first threads' scheduling, in thread order; a thread without one keeps the default.
    if (st.thread_sched.size() > st.threads.size())
        fail("process section: {} thread scheduling records for {} threads of process {}", st.thread_sched.size(),
             st.threads.size(), ids.pid);
    for (auto& s : st.thread_sched)
        if (s.nice < -20 || s.nice > 19 || s.priority > 99)
            fail("process section: a thread of process {} has nice {} and priority {}, outside -20..19 and 0..99", ids.pid,
                 s.nice, s.priority);
    // Each thread's own credentials, in thread order (checked against the
    // bundle like the process's, cr/restore/bundle_check.cpp).
    for (auto& t : st.threads) {
        t.creds = d.raw<CredsRecord>("a thread's credentials");
        t.groups = d.vec<uint32_t>("a thread's groups", max_groups);
    }
    d.done();
    return st;
}

std::vector<std::byte> encode_namespaces(const ns::NamespaceState& st) {
    Encoder e;
    e.u32(st.flags);
    e.str(st.hostname);
    e.str(st.domainname);
    e.u32(st.loopback_up ? 1 : 0);
    e.str(st.time_offsets);
    for (const auto* map : {&st.uid_map, &st.gid_map}) {
        e.u32(static_cast<uint32_t>(map->size()));
        for (const auto& r : *map) {
            e.u32(r.inside);
            e.u32(r.outside);
            e.u32(r.count);
        }
    }
    return std::move(e.out);
}

ns::NamespaceState decode_namespaces(std::span<const std::byte> data) {
    Decoder d(data, "namespaces");
    ns::NamespaceState st;
    st.flags = d.raw<uint32_t>("namespace flags");
    if (st.flags & ~ns::known_ns_flags) fail("namespaces section: unknown namespace flags {:#x}", st.flags);
    st.hostname = d.str("hostname", 64);
    st.domainname = d.str("domainname", 64);
    st.loopback_up = d.raw<uint32_t>("loopback state") != 0;
    st.time_offsets = d.str("time namespace offsets", 256);
    if (!(st.flags & ns::ns_time) && !st.time_offsets.empty())
        fail("namespaces section: time offsets without a time namespace");
    for (auto [map, name] : {std::pair{&st.uid_map, "uid map"}, std::pair{&st.gid_map, "gid map"}}) {
        uint32_t n = d.raw<uint32_t>(name);
        if (n > ns::max_id_map_ranges)
            fail("namespaces section: the {} has {} ranges, over the kernel's {}", name, n, ns::max_id_map_ranges);
        for (uint32_t i = 0; i < n; ++i) {
            ns::IdMapRange r;
            r.inside = d.raw<uint32_t>(name);
            r.outside = d.raw<uint32_t>(name);
            r.count = d.raw<uint32_t>(name);
            map->push_back(r);
        }
        if (!(st.flags & ns::ns_user) && !map->empty())
            fail("namespaces section: a {} without a user namespace", name);
        if (st.flags & ns::ns_user)
            if (auto why = ns::id_map_problem(*map); !why.empty()) fail("namespaces section: the {} is not valid: {}", name, why);
    }
    d.done();
    return st;
}

std::vector<std::byte> encode_tmpfs_entry(const ns::TmpfsEntry& e) {
    Encoder enc;
    enc.u32(static_cast<uint32_t>(e.kind));
    enc.u32(e.mode);
    enc.u32(e.uid);
    enc.u32(e.gid);
    enc.str(e.mount);
    enc.str(e.path);
    enc.str(e.target);
    enc.raw(e.size);
    return std::move(enc.out);
}

ns::TmpfsEntry decode_tmpfs_entry(std::span<const std::byte> data) {
    Decoder d(data, "tmpfs entry");
    ns::TmpfsEntry e;
    auto kind = d.raw<uint32_t>("kind");
    if (kind < 1 || kind > 3) fail("tmpfs entry section: unknown kind {}", kind);
    e.kind = static_cast<ns::TmpfsKind>(kind);
    e.mode = d.raw<uint32_t>("mode");
    if (e.mode & ~07777u) fail("tmpfs entry section: mode {:o} has bits beyond 07777", e.mode);
    e.uid = d.raw<uint32_t>("uid");
    e.gid = d.raw<uint32_t>("gid");
    e.mount = d.str("mount");
    e.path = d.str("path");
    e.target = d.str("symlink target");
    e.size = d.raw<uint64_t>("size");
    if (e.kind != ns::TmpfsKind::file && e.size != 0) fail("tmpfs entry section: {} is not a file but has a size", e.path);
    d.done();
    return e;
}

}  // namespace myrt::cr::driver
