// Only kernel headers for termios: struct termios2 (TCGETS2) is not in glibc's <termios.h>.
#include "cr/tty/tty_state.hpp"

#include "util/error.hpp"
#include "util/fd.hpp"

#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

namespace myrt::cr::tty {

static_assert(NCCS == image::tty_ncc, "termios2 c_cc size differs from the image's");

namespace {

termios2 get_termios(int fd, const std::string& what) {
    termios2 t{};
    check(::ioctl(fd, TCGETS2, &t), "TCGETS2 on {}", what);
    return t;
}

void set_termios(int fd, const termios2& t, const std::string& what) {
    // TCSETS2, not TCSETSF2: nothing waiting is flushed.
    check(::ioctl(fd, TCSETS2, &t), "TCSETS2 on {}", what);
}

termios2 termios_of(const image::TtyRecord& rec) {
    termios2 t{};
    t.c_iflag = rec.iflag;
    t.c_oflag = rec.oflag;
    t.c_cflag = rec.cflag;
    t.c_lflag = rec.lflag;
    t.c_line = rec.line;
    std::memcpy(t.c_cc, rec.cc, NCCS);
    t.c_ispeed = rec.ispeed;
    t.c_ospeed = rec.ospeed;
    return t;
}

}  // namespace

void read_state(int fd, image::TtyRecord& rec, const std::string& what) {
    termios2 t = get_termios(fd, what);
    rec.iflag = t.c_iflag;
    rec.oflag = t.c_oflag;
    rec.cflag = t.c_cflag;
    rec.lflag = t.c_lflag;
    rec.line = t.c_line;
    std::memcpy(rec.cc, t.c_cc, NCCS);
    rec.ispeed = t.c_ispeed;
    rec.ospeed = t.c_ospeed;
    winsize ws{};
    check(::ioctl(fd, TIOCGWINSZ, &ws), "TIOCGWINSZ on {}", what);
    rec.ws_row = ws.ws_row;
    rec.ws_col = ws.ws_col;
    rec.ws_xpixel = ws.ws_xpixel;
    rec.ws_ypixel = ws.ws_ypixel;
    int ldisc = 0;
    check(::ioctl(fd, TIOCGETD, &ldisc), "TIOCGETD on {}", what);
    rec.ldisc = static_cast<uint32_t>(ldisc);
    int excl = 0;
    check(::ioctl(fd, TIOCGEXCL, &excl), "TIOCGEXCL on {}", what);
    rec.flags = excl ? image::tty_flag_exclusive : 0;
}

void apply_state(int fd, const image::TtyRecord& rec, bool with_winsize, const std::string& what) {
    set_termios(fd, termios_of(rec), what);
    if (with_winsize) {
        winsize ws{};
        ws.ws_row = rec.ws_row;
        ws.ws_col = rec.ws_col;
        ws.ws_xpixel = rec.ws_xpixel;
        ws.ws_ypixel = rec.ws_ypixel;
        check(::ioctl(fd, TIOCSWINSZ, &ws), "TIOCSWINSZ on {}", what);
    }
    check(::ioctl(fd, (rec.flags & image::tty_flag_exclusive) ? TIOCEXCL : TIOCNXCL), "TIOCEXCL/TIOCNXCL on {}", what);
}

std::vector<uint8_t> drain_input(int fd, const std::string& what) {
    termios2 saved = get_termios(fd, what);
    termios2 raw = saved;
    // Non-canonical: everything in the buffer, partial line included, is
    // readable, and VMIN=VTIME=0 makes the read return at once.
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    set_termios(fd, raw, what);
    std::vector<uint8_t> out;
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0 && errno == EIO) break;  // a slave whose master side closed, a master with no slave open
        if (n < 0) {
            int e = errno;
            set_termios(fd, saved, what);
            errno = e;
            throw_errno("reading the unread input of {}", what);
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
        if (out.size() > image::tty_input_max * 4) {
            set_termios(fd, saved, what);
            fail("{}: more unread input than a tty holds", what);
        }
    }
    // The buffer is empty now, so switching ICANON back leaves no stale line marks.
    set_termios(fd, saved, what);
    return out;
}

std::vector<uint8_t> drain_master(int fd, const std::string& what) {
    int flags = check(::fcntl(fd, F_GETFL), "F_GETFL on {}", what);
    check(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), "F_SETFL on {}", what);
    std::vector<uint8_t> out;
    uint8_t buf[4096];
    int err = 0;
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EIO)) break;  // EIO: no slave open, nothing more
        if (n < 0) err = errno;
        if (n <= 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    check(::fcntl(fd, F_SETFL, flags), "F_SETFL on {}", what);
    if (err) {
        errno = err;
        throw_errno("reading the unread output at the master of {}", what);
    }
    return out;
}

void refill_input(int fd, const image::TtyRecord& rec, const std::vector<uint8_t>& data, const std::string& what) {
    termios2 final_t = termios_of(rec);
    if (!data.empty()) {
        termios2 quiet = final_t;
        // No echo, no signals, no translation and no editing characters: the
        // bytes land as they are; only ICANON (kept as dumped) marks lines.
        quiet.c_iflag &= ~static_cast<tcflag_t>(INLCR | IGNCR | ICRNL | IUCLC | IXON | IXOFF | ISTRIP | PARMRK | INPCK | IMAXBEL);
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOPRT | ECHOKE | ISIG | IEXTEN);
        for (int c : {VERASE, VKILL, VWERASE, VREPRINT, VLNEXT, VEOF, VEOL2}) quiet.c_cc[c] = 0;  // 0: disabled
        set_termios(fd, quiet, what);
        for (uint8_t ch : data) {
            char c = static_cast<char>(ch);
            if (::ioctl(fd, TIOCSTI, &c) < 0) {
                int e = errno;
                ::ioctl(fd, TCSETS2, &final_t);
                errno = e;
                throw_errno("putting back the unread input of {} (TIOCSTI)", what);
            }
        }
    }
    set_termios(fd, final_t, what);
}

uint32_t pty_index(int master) {
    unsigned int n = 0;
    check(::ioctl(master, TIOCGPTN, &n), "TIOCGPTN");
    return n;
}

bool pty_locked(int master) {
    int l = 0;
    check(::ioctl(master, TIOCGPTLCK, &l), "TIOCGPTLCK");
    return l != 0;
}

void set_pty_locked(int master, bool locked) {
    int l = locked ? 1 : 0;
    check(::ioctl(master, TIOCSPTLCK, &l), "TIOCSPTLCK {}", l);
}

bool packet_mode(int master) {
    int p = 0;
    check(::ioctl(master, TIOCGPKT, &p), "TIOCGPKT");
    return p != 0;
}

void set_packet_mode(int master, bool on) {
    int p = on ? 1 : 0;
    check(::ioctl(master, TIOCPKT, &p), "TIOCPKT {}", p);
}

int open_peer(int master, int flags) { return ::ioctl(master, TIOCGPTPEER, flags | O_NOCTTY); }

bool hung_up(int fd) {
    termios2 t{};
    return ::ioctl(fd, TCGETS2, &t) < 0 && errno == EIO;
}

void hang_up(int fd, const std::string& what) { check(::ioctl(fd, TIOCVHANGUP), "TIOCVHANGUP on {}", what); }

unsigned long ioctl_sctty() { return TIOCSCTTY; }
unsigned long ioctl_spgrp() { return TIOCSPGRP; }

}  // namespace myrt::cr::tty
