// Restore of a pty pair: the ptmx of the devpts the container mounts at the
// recorded place is opened until the kernel hands out the dumped index; the
// ptmx description is kept under the objref the checkpoint reserved for it;
// termios, window size, modes and unread input go back before any task sees
// the pty. Every field of the records is checked first (seed 001's sanity
// checks, and the ones the seed left as TODO).
#include "cr/tty/pty_internal.hpp"
#include "cr/tty/tty_state.hpp"

#include "cr/files/fd_channel.hpp"
#include "cr/objhash/objhash.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "util/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>
#include <memory>

namespace myrt::cr::tty {

namespace img = myrt::cr::image;

namespace {

struct Pair {
    uint32_t index = 0;
    uint32_t flags = 0;
    std::string mount_point;
    UniqueFd slave;            // the restorer's own slave description (input put back through it)
    int console_fd = -1;       // console: the restore's new pty slave (caller_stdio), not owned
    uint64_t master_file_objref = 0;
    bool master_given = false;
    int32_t session = 0, fg_pgrp = 0;
    bool ctty_done = false;  // TIOCSCTTY done (before the leader's session was forked)
    bool fg_done = false;    // TIOCSPGRP done (after the leader's fds are in)
};

// The ptmx description, under the objref the checkpoint reserved for it.
struct MasterFile {
    UniqueFd fd;
};

struct RestoreState {
    std::map<uint64_t, std::pair<uint64_t, uint32_t>> descriptions;  // description objref -> (pty objref, end)
    std::vector<std::shared_ptr<Pair>> pairs;                          // every pair restored, for their sessions
};

RestoreState& state(files::RestoreContext& ctx) {
    auto& p = ctx.state_of<std::shared_ptr<RestoreState>>(img::file_kind_pty_slave);
    if (!p) p = std::make_shared<RestoreState>();
    return *p;
}

std::vector<uint8_t> read_input(img::RecordReader& r, uint64_t objref, uint32_t len) {
    std::vector<uint8_t> out;
    while (out.size() < len) {
        auto h = r.next();
        if (!h || h->type != static_cast<uint32_t>(img::RecordType::buffer) || h->objref != objref)
            r.fail_at("PTY {}: {} bytes of unread input announced, {} found", objref, len, out.size());
        auto b = r.read_buffer();
        if (b.size() > len - out.size()) r.fail_at("PTY {}: more unread input than the {} bytes announced", objref, len);
        auto* p = reinterpret_cast<const uint8_t*>(b.data());
        out.insert(out.end(), p, p + b.size());
    }
    return out;
}

img::TtyRecord read_tty(img::RecordReader& r, uint64_t objref, uint32_t end, uint32_t max_input) {
    img::RecordHeader h{};
    auto t = r.expect<img::RecordType::tty>(&h);
    const char* name = end == img::tty_end_master ? "master" : "slave";
    if (h.objref != objref) r.fail_at("TTY for objref {} inside PTY {}", h.objref, objref);
    if (t.end != end) r.fail_at("PTY {}: TTY of end {} where the {} was expected (master first)", objref, t.end, name);
    if (t.flags & ~img::known_tty_flags) r.fail_at("PTY {} {}: unknown tty flags {:#x}", objref, name, t.flags);
    if (t.reserved != 0) r.fail_at("PTY {} {}: reserved field is not zero", objref, name);
    if (t.ldisc != 0) r.fail_at("PTY {} {}: line discipline {} (only N_TTY, 0, is restored)", objref, name, t.ldisc);
    if (t.line != 0) r.fail_at("PTY {} {}: termios c_line {} (only N_TTY, 0)", objref, name, t.line);
    if (t.input_len > max_input) r.fail_at("PTY {} {}: {} bytes of unread input (at most {})", objref, name, t.input_len, max_input);
    return t;
}

int console_of(files::RestoreContext& ctx) {
    for (int fd : ctx.caller_stdio) {
        struct stat st {};
        if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && is_pty_slave_rdev(st.st_rdev)) return fd;
    }
    fail("the image's container ran with a terminal (its console): restore it with --console-socket, or in the "
         "foreground, so it gets a new one");
}

void read_pair(img::RecordReader& r, files::RestoreContext& ctx, uint64_t objref) {
    img::RecordHeader h{};
    auto rec = r.expect<img::RecordType::pty>(&h);
    if (h.objref != objref) r.fail_at("PTY record for objref {} follows the OBJREF of {}", h.objref, objref);
    if (rec.flags & ~img::known_pty_flags) r.fail_at("PTY {}: unknown flags {:#x}", objref, rec.flags);
    const bool console = rec.flags & img::pty_flag_console;
    if (console && (rec.flags & (img::pty_flag_locked | img::pty_flag_packet)))
        r.fail_at("PTY {}: the console cannot be locked or in packet mode (its master is the runtime's)", objref);
    if (console != (rec.master_file_objref == 0))
        r.fail_at("PTY {}: a master file objref is reserved exactly when the pty is not the console", objref);
    if (rec.master_file_objref == objref) r.fail_at("PTY {}: its master file objref is its own", objref);
    if (rec.session < 0 || rec.fg_pgrp < 0 || (rec.fg_pgrp != 0 && rec.session == 0))
        r.fail_at("PTY {}: session {} / foreground group {} out of range", objref, rec.session, rec.fg_pgrp);
    auto sh = r.next();
    if (!sh || sh->type != static_cast<uint32_t>(img::RecordType::string) || sh->objref != objref)
        r.fail_at("PTY {}: expected its devpts mount point in a STRING record", objref);
    std::string mp = r.read_string();
    if (mp.empty() || mp[0] != '/' || mp.find('\0') != std::string::npos || mp.find("/../") != std::string::npos ||
        mp.ends_with("/.."))
        r.fail_at("PTY {}: devpts mount point {} is not a clean absolute path", objref, mp);
    auto mrec = read_tty(r, objref, img::tty_end_master, console ? 0 : pty_master_input_max);
    auto master_input = read_input(r, objref, mrec.input_len);
    auto srec = read_tty(r, objref, img::tty_end_slave, img::tty_input_max);
    auto slave_input = read_input(r, objref, srec.input_len);

    Pair pair;
    pair.index = rec.index;
    pair.flags = rec.flags;
    pair.mount_point = mp;
    pair.session = rec.session;
    pair.fg_pgrp = rec.fg_pgrp;
    pair.master_file_objref = rec.master_file_objref;
    const std::string what = fmt::format("pty {} of the devpts at {}", rec.index, mp);
    if (console) {
        pair.console_fd = console_of(ctx);
        // The new console's termios and size become the dumped ones; input
        // the shell had not read yet is typed in again (without echo).
        refill_input(pair.console_fd, srec, slave_input, "the container console");
        apply_state(pair.console_fd, srec, true, "the container console");
    } else {
        if (ctx.init_pid <= 0) fail("restoring {}: the restore gave no container init to find its devpts through", what);
        UniqueFd master = open_pty_at(ctx.init_pid, mp, rec.index);
        set_pty_locked(master.get(), false);
        pair.slave.reset(open_peer(master.get(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
        if (!pair.slave) throw_errno("opening the slave of {}", what);
        apply_state(master.get(), mrec, false, what + " (master)");
        refill_input(pair.slave.get(), srec, slave_input, what);
        apply_state(pair.slave.get(), srec, true, what);
        if (!master_input.empty()) {
            // Output the master had not read: written again on the slave with
            // output processing off (it was processed before the checkpoint).
            img::TtyRecord raw = srec;
            raw.oflag &= ~static_cast<uint32_t>(1 /* OPOST */);
            apply_state(pair.slave.get(), raw, false, what);
            size_t off = 0;
            while (off < master_input.size()) {
                ssize_t n = ::write(pair.slave.get(), master_input.data() + off, master_input.size() - off);
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) throw_errno("writing back {} bytes of output for the master of {}", master_input.size() - off, what);
                off += static_cast<size_t>(n);
            }
            apply_state(pair.slave.get(), srec, true, what);
        }
        if (rec.flags & img::pty_flag_packet) set_packet_mode(master.get(), true);
        if (rec.flags & img::pty_flag_locked) set_pty_locked(master.get(), true);
        ctx.objs.install(rec.master_file_objref, objhash::kind::file, MasterFile{std::move(master)});
    }
    auto shared = std::make_shared<Pair>(std::move(pair));
    state(ctx).pairs.push_back(shared);
    ctx.objs.install(objref, objhash::kind::pty, std::move(shared));
}

// Open flags a restored pty description takes (access mode and status flags).
int description_flags(const img::FileRecord& rec) {
    return static_cast<int>(rec.flags & (O_ACCMODE | O_NONBLOCK | O_APPEND | O_ASYNC | O_DIRECT));
}

// A slave description of a fresh pty on the same devpts, hung up
// (TIOCVHANGUP: the new pty is nobody's controlling terminal, so no SIGHUP
// goes anywhere), and its master closed.
UniqueFd hung_up_description(files::RestoreContext& ctx, const std::string& mp, int flags, uint64_t objref) {
    if (ctx.init_pid <= 0) fail("restoring hung-up pty description {}: no container init to find its devpts through", objref);
    UniqueFd master = open_pty_at(ctx.init_pid, mp, any_index);
    set_pty_locked(master.get(), false);
    UniqueFd slave(open_peer(master.get(), flags | O_CLOEXEC));
    if (!slave) throw_errno("opening a pty slave at {} for the hung-up description {}", mp, objref);
    hang_up(slave.get(), fmt::format("the pty slave for hung-up description {}", objref));
    return slave;
}

}  // namespace

UniqueFd restore_pty_fd(img::RecordReader& r, files::RestoreContext& ctx, uint64_t objref, const img::FileRecord& rec,
                        bool master) {
    if ((rec.mode & S_IFMT) != S_IFCHR) r.fail_at("FILE objref {}: a pty end with mode {:o}", objref, rec.mode);
    auto h = r.next();
    if (h && h->type == static_cast<uint32_t>(img::RecordType::objref)) {
        auto o = r.read_fixed<img::RecordType::objref>();
        if (o.kind != objhash::kind::pty || o.reserved != 0)
            r.fail_at("OBJREF {} of kind {} inside pty description {}", h->objref, o.kind, objref);
        read_pair(r, ctx, h->objref);
        h = r.next();
    }
    if (!h || h->type != static_cast<uint32_t>(img::RecordType::pty_file) || h->objref != objref)
        r.fail_at("FILE objref {}: expected its PTY_FILE record", objref);
    auto pf = r.read_fixed<img::RecordType::pty_file>();
    const uint32_t end = master ? img::tty_end_master : img::tty_end_slave;
    if (pf.end != end) r.fail_at("PTY_FILE {}: end {} in a {} description", objref, pf.end, master ? "master" : "slave");
    if (pf.flags & ~img::pty_file_hung_up) r.fail_at("PTY_FILE {}: unknown flags {:#x}", objref, pf.flags);
    if (pf.flags & img::pty_file_hung_up) {
        if (master || pf.pty_objref != 0) r.fail_at("PTY_FILE {}: only a slave description without a pty can be hung up", objref);
        auto sh = r.next();
        if (!sh || sh->type != static_cast<uint32_t>(img::RecordType::string) || sh->objref != objref)
            r.fail_at("PTY_FILE {}: expected the devpts mount point of the hung-up description", objref);
        std::string mp = r.read_string();
        if (mp.empty() || mp[0] != '/' || mp.find('\0') != std::string::npos || mp.find("/../") != std::string::npos ||
            mp.ends_with("/.."))
            r.fail_at("PTY_FILE {}: devpts mount point {} is not a clean absolute path", objref, mp);
        return hung_up_description(ctx, mp, description_flags(rec), objref);
    }
    if (pf.pty_objref == 0 || !ctx.objs.installed(pf.pty_objref))
        r.fail_at("PTY_FILE {}: pty objref {} was not restored before it", objref, pf.pty_objref);
    auto& pair = *ctx.objs.fetch<std::shared_ptr<Pair>>(pf.pty_objref, objhash::kind::pty);
    const std::string what = fmt::format("pty {} of the devpts at {}", pair.index, pair.mount_point);
    UniqueFd out;
    if (master) {
        if (pair.console_fd >= 0) r.fail_at("PTY_FILE {}: the console's master is not the container's", objref);
        if (pair.master_given) r.fail_at("PTY_FILE {}: a second description of the master of {} (a pty has one)", objref, what);
        auto& mf = ctx.objs.fetch<MasterFile>(pair.master_file_objref, objhash::kind::file);
        out.reset(::fcntl(mf.fd.get(), F_DUPFD_CLOEXEC, 0));
        if (!out) throw_errno("dup of the master of {}", what);
        check(::fcntl(out.get(), F_SETFL, description_flags(rec) & ~O_ACCMODE), "F_SETFL on the master of {}", what);
        pair.master_given = true;
    } else if (pair.console_fd >= 0) {
        std::string path = fmt::format("/proc/self/fd/{}", pair.console_fd);
        out.reset(::open(path.c_str(), description_flags(rec) | O_NOCTTY | O_CLOEXEC));
        if (!out) throw_errno("reopening the restore's console for objref {}", objref);
    } else {
        auto& mf = ctx.objs.fetch<MasterFile>(pair.master_file_objref, objhash::kind::file);
        bool locked = pair.flags & img::pty_flag_locked;
        if (locked) set_pty_locked(mf.fd.get(), false);
        out.reset(open_peer(mf.fd.get(), description_flags(rec) | O_CLOEXEC));
        int e = errno;
        if (locked) set_pty_locked(mf.fd.get(), true);
        errno = e;
        if (!out) throw_errno("opening the slave of {} for objref {}", what, objref);
    }
    state(ctx).descriptions[objref] = {pf.pty_objref, pf.end};
    return out;
}

void make_controlling_terminal(pid_t pid, int32_t sid, files::RestoreContext& ctx) {
    auto& st = state(ctx);
    for (auto& p : st.pairs) {
        Pair& pair = *p;
        if (pair.session != sid || pair.ctty_done || pair.console_fd >= 0 || !pair.slave) continue;
        // A process takes its controlling terminal from its parent at fork:
        // the leader gets it now, through a slave description of the
        // restorer's passed in for the moment, so every member of its session
        // forked after this has it too (and /dev/tty opens).
        Injector inj(pid);
        RemoteScratch scratch(inj, 4096);
        files::FdChannel channel(pid, inj, scratch, 3);
        int got = channel.send(pair.slave.get(), true);
        inj.checked(fmt::format("TIOCSCTTY (pty {}) in session leader {}", pair.index, sid), SYS_ioctl,
                    static_cast<uint64_t>(got), ioctl_sctty(), 0);
        inj.checked("close of the passed pty slave", SYS_close, static_cast<uint64_t>(got));
        channel.close();
        scratch.release();
        inj.finish();
        pair.ctty_done = true;
        return;
    }
}

void pty_after_install(pid_t pid, Injector& inj, files::RestoreContext& ctx, const files::FdEntry& fd) {
    auto& st = state(ctx);
    auto d = st.descriptions.find(fd.file_objref);
    if (d == st.descriptions.end() || d->second.second != img::tty_end_slave) return;
    auto& pair = *ctx.objs.fetch<std::shared_ptr<Pair>>(d->second.first, objhash::kind::pty);
    if (pair.session == 0 || pair.fg_done || inner_pid(pid) != pair.session) return;
    // In the session leader, with its own slave fd: TIOCSCTTY unless done
    // when the leader was made (the console already is the init's: a no-op),
    // TIOCSPGRP gives the foreground back to the dumped group.
    if (!pair.ctty_done)
        inj.checked(fmt::format("TIOCSCTTY on fd {} (pty {}) in session leader {}", fd.fd, pair.index, pair.session),
                    SYS_ioctl, static_cast<uint64_t>(fd.fd), ioctl_sctty(), 0);
    if (pair.fg_pgrp > 0) {
        RemoteScratch scratch(inj, 4096);
        uint64_t arg = scratch.put(0, static_cast<int32_t>(pair.fg_pgrp));
        inj.checked(fmt::format("TIOCSPGRP {} on fd {} (pty {})", pair.fg_pgrp, fd.fd, pair.index), SYS_ioctl,
                    static_cast<uint64_t>(fd.fd), ioctl_spgrp(), arg);
        scratch.release();
    }
    pair.ctty_done = pair.fg_done = true;
}

}  // namespace myrt::cr::tty
