/* Self-checking workload for the pty checkpoint/restore tests (cr/tty).
 *
 *   ttywork MODE
 *
 * Like crwork: sets up its state, writes "READY" to /shared/ready, waits for
 * SIGUSR1, verifies and writes "PASS" or "FAIL: why" to /shared/result.
 *
 * Modes:
 *   ptys   four ptys: A raw (VMIN 5) with exclusive mode and unread input;
 *          B canonical with odd control characters and CRTSCTS (a high
 *          termios bit), one complete and one partial line unread by the
 *          slave, output unread by the master, and the controlling terminal
 *          of a child session whose foreground group is a grandchild's;
 *          C locked (never unlocked) in packet mode; D on a second devpts
 *          instance (/dev/pts2, when mounted) with unread input; E's master
 *          closed, so its slave description is hung up. After
 *          restore: same indexes, termios, window sizes, modes, and exactly
 *          the unread data, line boundaries included.
 *   ctty   a child session leader L whose controlling terminal is a pty (init
 *          holds the master), and L's child M, born into the session after
 *          L took the pty, holding /dev/tty open. After restore both open
 *          /dev/tty again and it is their session's terminal, M's old
 *          /dev/tty fd too, and a line M writes to /dev/tty reaches the master.
 *   hold   one pty, master and slave open, nothing else (the leak test holds
 *          its slave from outside the container).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "workload.h"



static char why[1024];
static int failed;
static void bad(const char *fmt, ...)
{
    if (failed) return;
    failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
}

static void die(const char *what)
{
    char buf[512];
    snprintf(buf, sizeof buf, "FAIL: setup: %s: %s\n", what, strerror(errno));
    put_file("/shared/result", buf);
    put_file("/shared/ready", "SETUP FAILED\n");
    exit(1);
}

struct pty {
    const char *name;
    int master, slave;
    int index;
    struct termios mt, st;
    struct winsize ws;
};

static void open_pty(struct pty *p, const char *ptmx, int unlock)
{
    p->master = open(ptmx, O_RDWR | O_NOCTTY);
    if (p->master < 0) die(ptmx);
    if (ioctl(p->master, TIOCGPTN, &p->index) < 0) die("TIOCGPTN");
    p->slave = -1;
    if (unlock) {
        int zero = 0;
        if (ioctl(p->master, TIOCSPTLCK, &zero) < 0) die("unlock");
        p->slave = ioctl(p->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK);
        if (p->slave < 0) die("TIOCGPTPEER");
    }
}

static void save(struct pty *p)
{
    tcgetattr(p->master, &p->mt);
    if (p->slave >= 0) tcgetattr(p->slave, &p->st);
    ioctl(p->master, TIOCGWINSZ, &p->ws);
}

static int same_termios(const struct termios *a, const struct termios *b)
{
    return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag &&
           a->c_lflag == b->c_lflag && memcmp(a->c_cc, b->c_cc, sizeof a->c_cc) == 0 &&
           cfgetispeed(a) == cfgetispeed(b) && cfgetospeed(a) == cfgetospeed(b);
}

static void verify_common(struct pty *p)
{
    int idx = -1;
    if (ioctl(p->master, TIOCGPTN, &idx) < 0 || idx != p->index) bad("%s: index %d, was %d", p->name, idx, p->index);
    struct termios t;
    if (tcgetattr(p->master, &t) < 0 || !same_termios(&t, &p->mt)) bad("%s: master termios changed", p->name);
    if (p->slave >= 0 && (tcgetattr(p->slave, &t) < 0 || !same_termios(&t, &p->st)))
        bad("%s: slave termios changed (lflag %o was %o, cflag %o was %o)", p->name, t.c_lflag, p->st.c_lflag, t.c_cflag,
            p->st.c_cflag);
    struct winsize ws;
    if (ioctl(p->master, TIOCGWINSZ, &ws) < 0 || memcmp(&ws, &p->ws, sizeof ws) != 0)
        bad("%s: window size %dx%d, was %dx%d", p->name, ws.ws_col, ws.ws_row, p->ws.ws_col, p->ws.ws_row);
}

/* Everything readable now (fd non-blocking). */
static int read_now(int fd, char *buf, size_t len)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    usleep(20000);
    ssize_t n = read(fd, buf, len - 1);
    fcntl(fd, F_SETFL, flags);
    if (n < 0) n = 0;
    buf[n] = 0;
    return (int)n;
}

static void wait_usr1(void)
{
    put_file("/shared/ready", "READY\n");
    sigset_t none;
    sigemptyset(&none);
    while (!got_usr1) sigsuspend(&none);
}

static int mode_ptys(void)
{
    struct pty a = {.name = "A"}, b = {.name = "B"}, c = {.name = "C"}, d = {.name = "D"};
    open_pty(&a, "/dev/ptmx", 1);
    open_pty(&b, "/dev/ptmx", 1);
    open_pty(&c, "/dev/ptmx", 0);
    int have_d = access("/dev/pts2/ptmx", F_OK) == 0;
    if (have_d) open_pty(&d, "/dev/pts2/ptmx", 1);
    /* E: master closed, the slave description is hung up (read 0, write EIO). */
    struct pty e = {.name = "E"};
    open_pty(&e, "/dev/ptmx", 1);
    close(e.master);

    /* A: raw, VMIN 5, exclusive, 20x70. */
    struct termios t;
    tcgetattr(a.slave, &t);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 5;
    t.c_cc[VTIME] = 3;
    tcsetattr(a.slave, TCSANOW, &t);
    struct winsize ws = {.ws_row = 20, .ws_col = 70, .ws_xpixel = 700, .ws_ypixel = 400};
    ioctl(a.master, TIOCSWINSZ, &ws);
    if (ioctl(a.slave, TIOCEXCL) < 0) die("TIOCEXCL");
    /* B: canonical, odd erase/kill, CRTSCTS, 2400 baud, 51x181. */
    tcgetattr(b.slave, &t);
    t.c_cc[VERASE] = 'X' - '@';
    t.c_cc[VKILL] = 'U' - '@';
    t.c_cc[VEOL] = ';';
    t.c_cflag |= CRTSCTS;
    cfsetispeed(&t, B2400);
    cfsetospeed(&t, B2400);
    t.c_lflag &= ~ECHO; /* the test reads the master's exact output */
    tcsetattr(b.slave, TCSANOW, &t);
    ws = (struct winsize){.ws_row = 51, .ws_col = 181};
    ioctl(b.slave, TIOCSWINSZ, &ws);
    /* C: locked, packet mode, master termios changed. */
    int one = 1;
    if (ioctl(c.master, TIOCPKT, &one) < 0) die("TIOCPKT");
    tcgetattr(c.master, &t);
    t.c_cc[VINTR] = 7;
    tcsetattr(c.master, TCSANOW, &t);
    if (have_d) {
        ws = (struct winsize){.ws_row = 33, .ws_col = 99};
        ioctl(d.slave, TIOCSWINSZ, &ws);
    }

    /* Unread data: A's slave input (raw), B's slave input (one line and a
     * half, with the VEOL ';' ending a line too) and B's master input (the
     * slave's output, \n made \r\n), D's slave input. */
    if (write(a.master, "raw-input", 9) != 9) die("write A");
    if (write(b.master, "line1\nsecond;part", 17) != 17) die("write B master");
    if (write(b.slave, "out-B\n", 6) != 6) die("write B slave");
    if (have_d && write(d.master, "d-data\n", 7) != 7) die("write D");

    /* A child session whose controlling terminal is B, with the foreground
     * given to a grandchild's group. */
    char path[64];
    snprintf(path, sizeof path, "/dev/pts/%d", b.index);
    int sync_pipe[2];
    if (pipe(sync_pipe) < 0) die("pipe");
    pid_t leader = fork();
    if (leader == 0) {
        setsid();
        int fd = open(path, O_RDWR); /* no O_NOCTTY: becomes the session's terminal */
        if (fd < 0) _exit(1);
        pid_t g = fork();
        if (g == 0) {
            setpgid(0, 0);
            for (;;) pause();
        }
        setpgid(g, g);
        signal(SIGTTOU, SIG_IGN);
        if (tcsetpgrp(fd, g) < 0) _exit(2);
        if (write(sync_pipe[1], "k", 1) != 1) _exit(3);
        for (;;) pause();
    }
    char k;
    if (read(sync_pipe[0], &k, 1) != 1) die("session child");
    pid_t want_sid = leader, want_pgrp = 0;
    ioctl(b.master, TIOCGPGRP, &want_pgrp);

    save(&a), save(&b), save(&c);
    if (have_d) save(&d);
    wait_usr1();

    verify_common(&a), verify_common(&b), verify_common(&c);
    if (have_d) verify_common(&d);
    char buf[256];
    int excl = 0;
    if (ioctl(a.slave, TIOCGEXCL, &excl) < 0 || !excl) bad("A: exclusive mode lost");
    read_now(a.slave, buf, sizeof buf);
    if (strcmp(buf, "raw-input") != 0) bad("A: slave read '%s', want 'raw-input'", buf);
    read_now(b.slave, buf, sizeof buf);
    if (strcmp(buf, "line1\n") != 0) bad("B: first slave read '%s', want 'line1\\n'", buf);
    read_now(b.slave, buf, sizeof buf);
    if (strcmp(buf, "second;") != 0) bad("B: second slave read '%s', want 'second;' (VEOL ends a line)", buf);
    read_now(b.slave, buf, sizeof buf);
    if (buf[0]) bad("B: the partial line was readable before its end: '%s'", buf);
    if (write(b.master, "rest\n", 5) != 5) bad("B: write to master");
    read_now(b.slave, buf, sizeof buf);
    if (strcmp(buf, "partrest\n") != 0) bad("B: completed line '%s', want 'partrest\\n'", buf);
    read_now(b.master, buf, sizeof buf);
    if (strcmp(buf, "out-B\r\n") != 0) bad("B: master read '%s', want the slave's 'out-B\\r\\n'", buf);
    pid_t sid = 0, pgrp = 0;
    if (ioctl(b.master, TIOCGSID, &sid) < 0 || sid != want_sid) bad("B: session %d, want %d", (int)sid, (int)want_sid);
    if (ioctl(b.master, TIOCGPGRP, &pgrp) < 0 || pgrp != want_pgrp)
        bad("B: foreground group %d, want %d", (int)pgrp, (int)want_pgrp);
    int lock = 0, pkt = 0;
    if (ioctl(c.master, TIOCGPTLCK, &lock) < 0 || !lock) bad("C: no longer locked");
    if (ioctl(c.master, TIOCGPKT, &pkt) < 0 || !pkt) bad("C: packet mode lost");
    if (ioctl(c.master, TIOCGPTPEER, O_RDWR | O_NOCTTY) >= 0) bad("C: the locked slave opened");
    if (have_d) {
        read_now(d.slave, buf, sizeof buf);
        if (strcmp(buf, "d-data\n") != 0) bad("D: slave read '%s', want 'd-data\\n'", buf);
        struct stat s1, s2;
        snprintf(path, sizeof path, "/dev/pts2/%d", d.index);
        if (stat(path, &s1) < 0 || fstat(d.slave, &s2) < 0 || s1.st_ino != s2.st_ino || s1.st_dev != s2.st_dev)
            bad("D: the slave is not %s any more", path);
    }
    {
        char c;
        int fl = fcntl(e.slave, F_GETFL);
        fcntl(e.slave, F_SETFL, fl & ~O_NONBLOCK);
        ssize_t n = read(e.slave, &c, 1);
        if (n != 0) bad("E: read on the hung-up slave gave %zd (errno %d), want 0", n, errno);
        if (write(e.slave, "x", 1) != -1 || errno != EIO) bad("E: write on the hung-up slave did not fail with EIO");
        struct termios et;
        if (tcgetattr(e.slave, &et) == 0 || errno != EIO) bad("E: tcgetattr on the hung-up slave did not fail with EIO");
    }
    if (!failed) {
        /* Still a working pty: a line typed at the master comes out at the slave. */
        if (write(a.master, "12345", 5) != 5) bad("A: write");
        read_now(a.slave, buf, sizeof buf);
        if (strcmp(buf, "12345") != 0) bad("A: after restore, slave read '%s'", buf);
    }
    kill(leader, SIGKILL);
    char res[1100];
    snprintf(res, sizeof res, failed ? "FAIL: %s\n" : "PASS\n", why);
    put_file("/shared/result", res);
    for (;;) pause();
}

/* In L or M after restore: /dev/tty opens and is the session's terminal
 * (TIOCGSID answers this session; M's write on it reaches the master). */
static void ctty_check(const char *who, int held)
{
    char res[600], path[64];
    int fd = open("/dev/tty", O_RDWR);
    pid_t sid = 0;
    if (fd < 0) snprintf(res, sizeof res, "%s: open /dev/tty: %s", who, strerror(errno));
    else if (ioctl(fd, TIOCGSID, &sid) < 0 || sid != getsid(0))
        snprintf(res, sizeof res, "%s: /dev/tty is the terminal of session %d, want %d", who, (int)sid, (int)getsid(0));
    else if (held >= 0 && (ioctl(held, TIOCGSID, &sid) < 0 || sid != getsid(0)))
        snprintf(res, sizeof res, "%s: the /dev/tty fd held across the checkpoint is not the terminal any more", who);
    else if (held >= 0 && write(fd, "from-M\n", 7) != 7)
        snprintf(res, sizeof res, "%s: write on /dev/tty: %s", who, strerror(errno));
    else
        snprintf(res, sizeof res, "ok");
    snprintf(path, sizeof path, "/shared/ctty-%s", who);
    put_file(path, res);
}

static void wait_file_in(const char *path)
{
    for (int i = 0; i < 400 && access(path, F_OK) != 0; i++) usleep(25000);
}

static int mode_ctty(void)
{
    struct pty a = {.name = "A"};
    open_pty(&a, "/dev/ptmx", 1);
    int go[2];
    if (pipe(go) < 0) die("pipe");
    pid_t leader = fork();
    if (leader < 0) die("fork");
    if (leader == 0) {
        close(a.master);
        if (setsid() < 0 || ioctl(a.slave, TIOCSCTTY, 0) < 0) _exit(3);
        pid_t m = fork();
        if (m == 0) {
            int held = open("/dev/tty", O_RDWR);
            if (held < 0) _exit(4);
            close(a.slave);
            /* M holds no slave fd of its own: only /dev/tty. */
            char c;
            if (read(go[0], &c, 1) != 1) _exit(5);
            ctty_check("M", held);
            for (;;) pause();
        }
        char c;
        if (read(go[0], &c, 1) != 1) _exit(5);
        ctty_check("L", -1);
        for (;;) pause();
    }
    close(go[0]);
    /* Before the checkpoint: the session has its terminal. */
    pid_t sid = 0;
    for (int i = 0; i < 200; i++) {
        if (ioctl(a.master, TIOCGSID, &sid) == 0 && sid == leader) break;
        usleep(25000);
    }
    if (sid != leader) die("the leader never took the pty");
    usleep(200000);  /* M has opened /dev/tty */
    wait_usr1();
    if (write(go[1], "xx", 2) != 2) bad("waking L and M");
    wait_file_in("/shared/ctty-L");
    wait_file_in("/shared/ctty-M");
    char buf[600];
    FILE *f;
    const char *who[] = {"L", "M"};
    for (int i = 0; i < 2; i++) {
        char path[64];
        snprintf(path, sizeof path, "/shared/ctty-%s", who[i]);
        buf[0] = 0;
        if ((f = fopen(path, "r")) != NULL) {
            if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
            fclose(f);
        }
        if (strcmp(buf, "ok") != 0) bad("%s", buf[0] ? buf : "no answer from L or M");
    }
    if (ioctl(a.master, TIOCGSID, &sid) < 0 || sid != leader) bad("after restore the pty's session is %d, want %d", (int)sid, (int)leader);
    if (!failed) {
        usleep(100000);
        read_now(a.master, buf, sizeof buf);
        if (strcmp(buf, "from-M\r\n") != 0) bad("the master read '%s', want M's 'from-M\\r\\n'", buf);
    }
    char res[1100];
    snprintf(res, sizeof res, failed ? "FAIL: %s\n" : "PASS\n", why);
    put_file("/shared/result", res);
    for (;;) pause();
    return 0;
}

static int mode_hold(void)
{
    struct pty a = {.name = "A"};
    open_pty(&a, "/dev/ptmx", 1);
    char buf[32];
    snprintf(buf, sizeof buf, "%d\n", a.index);
    put_file("/shared/index", buf);
    wait_usr1();
    if (write(a.master, "x\n", 2) != 2) bad("write");
    read_now(a.slave, buf, sizeof buf);
    if (strcmp(buf, "x\n") != 0) bad("the slave read '%s', want 'x\\n'", buf);
    char res[1100];
    snprintf(res, sizeof res, failed ? "FAIL: %s\n" : "PASS\n", why);
    put_file("/shared/result", res);
    for (;;) pause();
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGUSR1, on_usr1);
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "ptys")) return mode_ptys();
    if (!strcmp(argv[1], "hold")) return mode_hold();
    if (!strcmp(argv[1], "ctty")) return mode_ctty();
    fprintf(stderr, "ttywork: unknown mode %s\n", argv[1]);
    return 2;
}
