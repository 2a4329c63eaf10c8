// timerfd: clock, flags, interval, time left and ticks not yet read (fdinfo).
//
// The deadline is kept on the timer's own clock: at checkpoint it is the
// clock's time then plus the time left; at restore the timer is armed for
// that same deadline (absolute timers stay absolute, relative ones get the
// time left from now). Expirations that fell while the container was not
// running are counted into the ticks, as the kernel would have counted them.
#include "cr/files/fdinfo.hpp"
#include "cr/files/files.hpp"
#include "cr/files/object_kinds.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif
#ifndef TFD_TIMER_CANCEL_ON_SET
#define TFD_TIMER_CANCEL_ON_SET (1 << 1)
#endif

namespace myrt::cr::files {

namespace {

namespace img = myrt::cr::image;

constexpr int64_t ns_per_sec = 1'000'000'000;
constexpr uint32_t known_settime_flags = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET;

bool known_clock(int32_t c) {
    return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC || c == CLOCK_BOOTTIME || c == CLOCK_REALTIME_ALARM ||
           c == CLOCK_BOOTTIME_ALARM;
}

// "(sec, nsec)" of an it_value / it_interval line.
void parse_pair(const std::string& text, int64_t& sec, int64_t& nsec, std::string_view what) {
    unsigned long long s = 0, n = 0;
    if (std::sscanf(text.c_str(), "(%llu, %llu)", &s, &n) != 2 || n >= static_cast<unsigned long long>(ns_per_sec) ||
        s > static_cast<unsigned long long>(INT64_MAX / ns_per_sec - 1))
        fail("{}: \"{}\" is not a (seconds, nanoseconds) pair", what, text);
    sec = static_cast<int64_t>(s);
    nsec = static_cast<int64_t>(n);
}

int64_t to_ns(int64_t sec, int64_t nsec) { return sec * ns_per_sec + nsec; }
timespec to_ts(int64_t ns) { return timespec{static_cast<time_t>(ns / ns_per_sec), static_cast<long>(ns % ns_per_sec)}; }

int64_t clock_now_ns(clockid_t clock) {
    timespec ts{};
    // The alarm clocks read like their plain counterparts.
    clockid_t readable = clock == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME : clock == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME : clock;
    ::myrt::check(::clock_gettime(readable, &ts), "clock_gettime({})", static_cast<int>(clock));
    return to_ns(ts.tv_sec, ts.tv_nsec);
}

bool valid_time(int64_t sec, int64_t nsec) { return sec >= 0 && sec < INT64_MAX / ns_per_sec - 1 && nsec >= 0 && nsec < ns_per_sec; }

class TimerfdKind final : public FdKindOps {
public:
    std::string_view name() const override { return "timerfd"; }
    uint32_t file_kind() const override { return img::file_kind_timerfd; }
    bool claims(const OpenFd& fd) const override { return fd.what == "timerfd"; }

    void dump(pid_t pid, const OpenFd& fd, uint64_t objref, DumpContext&, img::RecordWriter& w) const override {
        std::string what = fmt::format("timerfd at fd {} of pid {}", fd.fd, pid);
        // A periodic timer counts its overruns only when read: until then
        // fdinfo shows one tick and no time left. timerfd_gettime on a copy
        // of the description folds them into the ticks and moves the timer
        // to its next period, as the task's own read or gettime would.
        UniqueFd copy = task_fd_copy(pid, fd.fd, "timerfd");
        itimerspec cur{};
        ::myrt::check(::timerfd_gettime(copy.get(), &cur), "timerfd_gettime on {}", what);
        auto lines = fdinfo_lines(pid, fd.fd);
        img::TimerfdRecord rec{};
        rec.clockid = static_cast<int32_t>(parse_number(fdinfo_require(lines, "clockid", "timerfd", pid, fd.fd), 10, what));
        if (!known_clock(rec.clockid)) fail("{}: clock {} is not one a timerfd can have", what, rec.clockid);
        rec.ticks = parse_number(fdinfo_require(lines, "ticks", "timerfd", pid, fd.fd), 10, what);
        rec.settime_flags = static_cast<uint32_t>(parse_number(fdinfo_require(lines, "settime flags", "timerfd", pid, fd.fd), 8, what));
        parse_pair(fdinfo_require(lines, "it_value", "timerfd", pid, fd.fd), rec.value_sec, rec.value_nsec, what);
        parse_pair(fdinfo_require(lines, "it_interval", "timerfd", pid, fd.fd), rec.interval_sec, rec.interval_nsec, what);
        int64_t now = clock_now_ns(rec.clockid);
        rec.dump_clock_sec = now / ns_per_sec;
        rec.dump_clock_nsec = now % ns_per_sec;
        w.write<img::RecordType::timerfd>(rec, objref);
    }

    UniqueFd restore(img::RecordReader& r, RestoreContext&, uint64_t objref, const img::FileRecord& file) const override {
        img::RecordHeader h{};
        auto rec = r.expect<img::RecordType::timerfd>(&h);
        if (h.objref != objref) r.fail_at("TIMERFD record for objref {} follows the FILE of {}", h.objref, objref);
        if (!known_clock(rec.clockid)) r.fail_at("TIMERFD objref {}: unknown clock {}", objref, rec.clockid);
        if (rec.settime_flags & ~known_settime_flags) r.fail_at("TIMERFD objref {}: unknown settime flags {:#o}", objref, rec.settime_flags);
        if (!valid_time(rec.value_sec, rec.value_nsec) || !valid_time(rec.interval_sec, rec.interval_nsec) ||
            !valid_time(rec.dump_clock_sec, rec.dump_clock_nsec))
            r.fail_at("TIMERFD objref {}: a time field is out of range", objref);
        if (rec.ticks > (1ull << 62)) r.fail_at("TIMERFD objref {}: {} ticks", objref, rec.ticks);
        if ((file.flags & O_ACCMODE) != O_RDWR) r.fail_at("TIMERFD objref {}: a timerfd is always read-write", objref);

        auto clock = static_cast<clockid_t>(rec.clockid);
        int flags = TFD_CLOEXEC | ((file.flags & O_NONBLOCK) ? TFD_NONBLOCK : 0);
        UniqueFd fd(::timerfd_create(clock, flags));
        if (!fd) throw_errno("timerfd_create(clock {}) for objref {}", rec.clockid, objref);

        uint64_t ticks = rec.ticks;
        int64_t left = to_ns(rec.value_sec, rec.value_nsec), interval = to_ns(rec.interval_sec, rec.interval_nsec);
        if (left != 0) {
            int64_t deadline = to_ns(rec.dump_clock_sec, rec.dump_clock_nsec) + left;
            int64_t now = clock_now_ns(clock);
            bool armed = true;
            if (deadline <= now) {
                // Expired while the container was not running: count what the
                // kernel would have counted, arm for the next period if any.
                if (interval > 0) {
                    int64_t missed = (now - deadline) / interval + 1;
                    ticks += static_cast<uint64_t>(missed);
                    deadline += missed * interval;
                } else {
                    ticks += 1;
                    armed = false;
                }
            }
            if (armed) {
                itimerspec its{};
                its.it_interval = to_ts(interval);
                bool absolute = rec.settime_flags & TFD_TIMER_ABSTIME;
                its.it_value = to_ts(absolute ? deadline : std::max<int64_t>(deadline - clock_now_ns(clock), 1));
                ::myrt::check(::timerfd_settime(fd.get(), static_cast<int>(rec.settime_flags), &its, nullptr),
                      "arming timerfd objref {} (clock {})", objref, rec.clockid);
            }
        }
        if (ticks != 0)
            ::myrt::check(::ioctl(fd.get(), TFD_IOC_SET_TICKS, &ticks), "setting {} unread ticks on timerfd objref {}", ticks, objref);
        return fd;
    }
};

}  // namespace

std::unique_ptr<FdKindOps> make_timerfd_kind() { return std::make_unique<TimerfdKind>(); }

}  // namespace myrt::cr::files
