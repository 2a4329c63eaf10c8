// Checkpoint of a pty pair: the first description met (master or slave)
// writes the pair, master state before slave state; every description then
// names the pair and its end. The unread input of both ends is read (the
// only way a tty gives it up) and put back at once, so a container left
// running, or one whose checkpoint fails later, keeps every byte.
#include "cr/tty/pty_internal.hpp"
#include "cr/tty/tty_state.hpp"

#include "cr/objhash/objhash.hpp"
#include "util/error.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace myrt::cr::tty {

namespace img = myrt::cr::image;

namespace {

struct DumpState {
    std::map<std::pair<uint64_t, uint32_t>, uint64_t> pairs;  // (devpts dev, index) -> pty objref
    bool have_console = false;
    StdioTerminal console;
};

DumpState& state(files::DumpContext& ctx) {
    auto& p = ctx.state_of<std::shared_ptr<DumpState>>(img::file_kind_pty_slave);
    if (!p) {
        p = std::make_shared<DumpState>();
        if (ctx.init_pid > 0) {
            p->console = find_stdio_terminal(ctx.init_pid);
            p->have_console = p->console.present && p->console.in_container && p->console.pty;
        }
    }
    return *p;
}

UniqueFd take_fd(pid_t pid, int fd) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) throw_errno("pidfd_open of pid {}", pid);
    UniqueFd out(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
    if (!out) throw_errno("pidfd_getfd of fd {} of pid {}", fd, pid);
    return out;
}

std::string describe(pid_t pid, const files::OpenFd& fd, const PtyId& id) {
    return fmt::format("fd {} of pid {} ({}, pty {} {})", fd.fd, pid, fd.link, id.index, id.master ? "master" : "slave");
}

PtyId identify_or_fail(pid_t pid, const files::OpenFd& fd) {
    auto id = identify(pid, fd.fd, fd.st, fd.link);
    if (!id) fail("fd {} of pid {} ({}): a pty end the kernel does not describe (no tty-index in fdinfo)", fd.fd, pid, fd.link);
    return *id;
}

// Every process of the container: init and its descendants.
std::vector<pid_t> container_pids(pid_t init) {
    std::vector<pid_t> out{init};
    for (size_t i = 0; i < out.size(); ++i) {
        std::string dir = fmt::format("/proc/{}/task", out[i]);
        DIR* d = ::opendir(dir.c_str());
        if (!d) continue;
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] == '.') continue;
            std::ifstream in(fmt::format("{}/{}/children", dir, e->d_name));
            pid_t c;
            while (in >> c) out.push_back(c);
        }
        ::closedir(d);
    }
    return out;
}

struct Holder {
    pid_t pid = 0;
    int fd = -1;
};

// An fd of `want`'s end (master or slave) in one of `pids`.
std::optional<Holder> find_end(const std::vector<pid_t>& pids, const PtyId& want, bool master) {
    for (pid_t p : pids) {
        std::string dir = fmt::format("/proc/{}/fd", p);
        DIR* d = ::opendir(dir.c_str());
        if (!d) continue;
        std::optional<Holder> found;
        while (dirent* e = ::readdir(d)) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
            int fd = std::atoi(e->d_name);
            struct stat st {};
            std::string path = dir + "/" + e->d_name;
            if (::stat(path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) continue;
            char buf[4096];
            ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
            auto id = identify(p, fd, st, n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string());
            if (id && id->master == master && id->devpts_dev == want.devpts_dev && id->index == want.index) {
                found = Holder{p, fd};
                break;
            }
        }
        ::closedir(d);
        if (found) return found;
    }
    return std::nullopt;
}

// session and tpgid of /proc/PID/stat (pids as the host sees them), and tty_nr.
struct StatTty {
    pid_t session = 0, tpgid = 0;
    unsigned long tty_nr = 0;
};
StatTty stat_tty(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto paren = all.rfind(')');
    StatTty s;
    if (paren == std::string::npos) return s;
    std::istringstream f(all.substr(paren + 2));
    char state;
    long ppid, pgrp;
    f >> state >> ppid >> pgrp >> s.session >> s.tty_nr >> s.tpgid;
    return s;
}

// Output the slave wrote that the master has not read, put back by writing
// it on the slave again with output processing off (it was processed once).
void rewrite_output(int slave, const img::TtyRecord& slave_rec, const std::vector<uint8_t>& data, const std::string& what) {
    if (data.empty()) return;
    img::TtyRecord raw = slave_rec;
    raw.oflag &= ~static_cast<uint32_t>(1 /* OPOST */);
    apply_state(slave, raw, false, what);
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(slave, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = errno;
            apply_state(slave, slave_rec, false, what);
            errno = e;
            throw_errno("putting back {} bytes of output not yet read from the master of {}", data.size() - off, what);
        }
        off += static_cast<size_t>(n);
    }
    apply_state(slave, slave_rec, false, what);
}

void write_input(img::RecordWriter& w, uint64_t objref, const std::vector<uint8_t>& data) {
    if (!data.empty()) w.write_buffer(std::as_bytes(std::span(data)), objref);
}

uint64_t dump_pair(pid_t pid, const files::OpenFd& fd, const PtyId& id, files::DumpContext& ctx, img::RecordWriter& w) {
    DumpState& st = state(ctx);
    auto known = st.pairs.find({id.devpts_dev, id.index});
    if (known != st.pairs.end()) return known->second;
    const std::string what = describe(pid, fd, id);
    const bool console = st.have_console && st.console.devpts_dev == id.devpts_dev && st.console.index == id.index;

    objhash::ObjectKey key{objhash::kind::pty, id.devpts_dev, id.index, 0};
    objhash::Object& obj = ctx.objs.lookup_or_add(key, fmt::format("pty {}", id.index)).object;
    uint64_t pty_objref = obj.objref;

    img::PtyRecord pty{};
    pty.index = id.index;
    pty.devpts_dev = id.devpts_dev;
    pty.master_file_objref = console ? 0 : ctx.objs.reserve();  // seed 001: the ptmx restore opens goes there
    std::string mount_point = devpts_mount_point(ctx.init_pid > 0 ? ctx.init_pid : pid, id.devpts_dev, id.mnt_id, what);

    auto pids = container_pids(ctx.init_pid > 0 ? ctx.init_pid : pid);
    UniqueFd master, slave;
    img::TtyRecord mrec{}, srec{};
    mrec.end = img::tty_end_master;
    srec.end = img::tty_end_slave;
    std::vector<uint8_t> master_input, slave_input;
    pid_t host_sid = 0, host_pgrp = 0;

    if (console) {
        pty.flags |= img::pty_flag_console;
        std::string path = fmt::format("/proc/{}/fd/{}", st.console.fd >= 0 ? ctx.init_pid : pid, st.console.fd);
        slave.reset(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
        if (!slave) throw_errno("opening the container console {} ({})", st.console.link, path);
        read_state(slave.get(), srec, what);
        // The master is the runtime's (conmon's): its side is not ours to read.
        mrec = srec;
        mrec.end = img::tty_end_master;
        mrec.flags = 0;
        StatTty s = stat_tty(ctx.init_pid);
        if (s.tty_nr == st.console.rdev) {
            host_sid = s.session;
            host_pgrp = s.tpgid > 0 ? s.tpgid : 0;
        }
        slave_input = drain_input(slave.get(), what);
        refill_input(slave.get(), srec, slave_input, what);
    } else {
        auto m = id.master ? std::optional<Holder>(Holder{pid, fd.fd}) : find_end(pids, id, true);
        if (!m) fail("{}: its master is not open in the container (held outside it, or closed)", what);
        master = take_fd(m->pid, m->fd);
        bool locked = pty_locked(master.get());
        bool packet = packet_mode(master.get());
        if (locked) set_pty_locked(master.get(), false);
        slave.reset(open_peer(master.get(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
        int open_errno = errno;
        if (locked) set_pty_locked(master.get(), true);
        if (!slave) {
            errno = open_errno;
            throw_errno("opening the slave of {} to read its state", what);
        }
        if (locked) pty.flags |= img::pty_flag_locked;
        if (packet) pty.flags |= img::pty_flag_packet;
        read_state(master.get(), mrec, what);
        read_state(slave.get(), srec, what);
        if (mrec.ldisc != 0 || srec.ldisc != 0)
            fail("{}: line discipline {} is not N_TTY: only N_TTY ptys are restored", what, mrec.ldisc ? mrec.ldisc : srec.ldisc);
        // TIOCGSID / TIOCGPGRP on the master answer for the slave, whoever asks.
        if (::ioctl(master.get(), TIOCGSID, &host_sid) != 0) host_sid = 0;
        if (host_sid && ::ioctl(master.get(), TIOCGPGRP, &host_pgrp) != 0) host_pgrp = 0;
        // Unread data: what the slave wrote (the master's input), then what
        // the master wrote (the slave's input); both go back at once.
        if (packet) set_packet_mode(master.get(), false);
        master_input = drain_master(master.get(), what);
        if (packet) set_packet_mode(master.get(), true);
        slave_input = drain_input(slave.get(), what);
        refill_input(slave.get(), srec, slave_input, what);
        rewrite_output(slave.get(), srec, master_input, what);
    }
    if (slave_input.size() > img::tty_input_max)
        fail("{}: {} bytes of unread input, more than a tty holds ({}): not restorable", what, slave_input.size(), img::tty_input_max);
    if (master_input.size() > pty_master_input_max)
        fail("{}: {} bytes of output not read from the master: not restorable", what, master_input.size());
    mrec.input_len = static_cast<uint32_t>(master_input.size());
    srec.input_len = static_cast<uint32_t>(slave_input.size());

    if (host_sid > 0) {
        pty.session = inner_pid(host_sid);
        pty.fg_pgrp = host_pgrp > 0 ? inner_pid(host_pgrp) : 0;
        if (pty.session <= 0) fail("{}: it is the controlling terminal of session {}, which is not in the container", what, host_sid);
        // The restore makes it the controlling terminal from inside the
        // session leader (TIOCSCTTY), with an fd of the slave it holds.
        if (!find_end({host_sid}, id, false))
            fail("{}: session leader {} has it as its controlling terminal but holds no fd of the slave: not supported",
                 what, host_sid);
    }

    w.write_objref(pty_objref, objhash::kind::pty);
    w.write<img::RecordType::pty>(pty, pty_objref);
    w.write_string(mount_point, pty_objref);
    w.write<img::RecordType::tty>(mrec, pty_objref);
    write_input(w, pty_objref, master_input);
    w.write<img::RecordType::tty>(srec, pty_objref);
    write_input(w, pty_objref, slave_input);
    ctx.objs.mark_dumped(pty_objref);
    ctx.objs.mark_visited(pty_objref);
    st.pairs[{id.devpts_dev, id.index}] = pty_objref;
    return pty_objref;
}

}  // namespace

void check_pty_fd(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx, bool master) {
    PtyId id = identify_or_fail(pid, fd);
    const std::string what = describe(pid, fd, id);
    if (id.master != master) fail("{}: internal error, claimed by the wrong pty kind", what);
    UniqueFd mine = take_fd(pid, fd.fd);
    const bool hung = hung_up(mine.get());
    if (hung && master) fail("{}: a hung-up pty master is not restorable", what);
    if (!hung && fd.link.ends_with(" (deleted)")) fail("{}: its pty is gone but the description is not hung up", what);
    devpts_mount_point(ctx.init_pid > 0 ? ctx.init_pid : pid, id.devpts_dev, id.mnt_id, what);
}

void dump_pty_fd(pid_t pid, const files::OpenFd& fd, uint64_t objref, files::DumpContext& ctx, img::RecordWriter& w,
                 bool master) {
    PtyId id = identify_or_fail(pid, fd);
    UniqueFd mine = take_fd(pid, fd.fd);
    if (hung_up(mine.get())) {
        // A hung-up description answers read with 0 and everything else with
        // EIO, whatever its pty does now (its master may even be closed):
        // it names no pair, only the devpts to make one like it on.
        img::PtyFileRecord rec{};
        rec.end = img::tty_end_slave;
        rec.flags = img::pty_file_hung_up;
        w.write<img::RecordType::pty_file>(rec, objref);
        w.write_string(devpts_mount_point(ctx.init_pid > 0 ? ctx.init_pid : pid, id.devpts_dev, id.mnt_id, describe(pid, fd, id)),
                       objref);
        return;
    }
    uint64_t pty_objref = dump_pair(pid, fd, id, ctx, w);
    img::PtyFileRecord rec{};
    rec.pty_objref = pty_objref;
    rec.end = master ? img::tty_end_master : img::tty_end_slave;
    w.write<img::RecordType::pty_file>(rec, objref);
}

}  // namespace myrt::cr::tty
