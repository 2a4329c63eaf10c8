/* Workload of the hostile-image tests (integration/cr/hostile_*.sh): one
 * object the restore has to make for a task running as a plain user, given
 * by MODE and PATH. It is set up, /shared/ready written, and after SIGUSR1
 * (following a restore) the object is checked and /shared/result says PASS
 * or FAIL: why.
 *   fd-ro PATH, fd-rw PATH   an fd on PATH, read-only or read-write
 *   deleted PATH             an fd on PATH, which is then unlinked
 *   map PATH                 a MAP_SHARED writable mapping of PATH, written to
 *   watch DIR                an inotify watch on DIR
 *   cwd DIR                  DIR as the working directory
 *   listen PATH              a stream listener bound at PATH
 *   dgram PATH               a datagram socket bound at PATH with SO_PASSCRED,
 *                            holding a datagram it sent itself: after restore
 *                            its SCM_CREDENTIALS must name no one but this task
 *   connect PATH             a datagram socket connected to PATH (a host
 *                            daemon's socket: checkpointed with --ext-unix-sk);
 *                            after restore a send to its peer must work
 *   fifo PATH                a named FIFO made at PATH, open read-write, one
 *                            byte in flight
 *   tmpfs-file PATH          a file of 0755 in a tmpfs, read back after restore */
#define _GNU_SOURCE
#include "workload.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static char verdict[512] = "PASS";
static void bad(const char *what) {
    if (strcmp(verdict, "PASS") == 0) snprintf(verdict, sizeof verdict, "FAIL: %s (errno %d)", what, errno);
}

static int bound_socket(int type, const char *path) {
    int s = socket(AF_UNIX, type, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0) return -1;
    return s;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    const char *mode = argv[1], *path = argv[2];
    install_usr1();
    int fd = -1, fd2 = -1;
    char *map = NULL;
    if (!strcmp(mode, "fd-ro") || !strcmp(mode, "fd-rw")) {
        fd = open(path, mode[3] == 'w' ? O_RDWR : O_RDONLY);
        if (fd < 0) bad("open");
    } else if (!strcmp(mode, "deleted")) {
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
        if (fd < 0 || write(fd, "kept", 4) != 4 || unlink(path) != 0) bad("deleted file");
    } else if (!strcmp(mode, "map")) {
        fd = open(path, O_RDWR);
        map = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) bad("mmap");
        else memcpy(map, "MAPPED", 6);
        if (fd >= 0) close(fd);  /* the mapping alone holds the file */
    } else if (!strcmp(mode, "watch")) {
        fd = inotify_init1(0);
        if (fd < 0 || inotify_add_watch(fd, path, IN_CREATE) != 1) bad("inotify watch");
    } else if (!strcmp(mode, "cwd")) {
        if (chdir(path) != 0) bad("chdir");
    } else if (!strcmp(mode, "listen")) {
        fd = bound_socket(SOCK_STREAM, path);
        if (fd < 0 || listen(fd, 4) != 0) bad("listen");
    } else if (!strcmp(mode, "dgram")) {
        int on = 1;
        fd = bound_socket(SOCK_DGRAM, path);
        fd2 = socket(AF_UNIX, SOCK_DGRAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strncpy(a.sun_path, path, sizeof a.sun_path - 1);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
            sendto(fd2, "hello", 5, 0, (struct sockaddr *)&a, sizeof a) != 5)
            bad("datagram in flight");
    } else if (!strcmp(mode, "connect")) {
        fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strncpy(a.sun_path, path, sizeof a.sun_path - 1);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) bad("connect");
    } else if (!strcmp(mode, "fifo")) {
        if (mkfifo(path, 0600) != 0 || (fd = open(path, O_RDWR)) < 0 || write(fd, "F", 1) != 1) bad("fifo");
    } else if (!strcmp(mode, "tmpfs-file")) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
        if (fd < 0 || write(fd, "TMPFS", 5) != 5 || fchmod(fd, 0755) != 0) bad("tmpfs file");
        if (fd >= 0) close(fd);
    } else {
        return 2;
    }
    put_file("/shared/ready", verdict);
    while (!got_usr1) pause();

    char buf[64] = {0};
    if (!strcmp(mode, "fd-ro") || !strcmp(mode, "fd-rw")) {
        if (pread(fd, buf, 6, 0) != 6 || strncmp(buf, "SECRET", 6) != 0) bad("reading the fd after restore");
        if (mode[3] == 'w' && pwrite(fd, "S", 1, 0) != 1) bad("writing the fd after restore");
    } else if (!strcmp(mode, "deleted")) {
        if (pread(fd, buf, 4, 0) != 4 || strncmp(buf, "kept", 4) != 0) bad("the deleted file's contents");
    } else if (!strcmp(mode, "map")) {
        if (map == MAP_FAILED || memcmp(map, "MAPPED", 6) != 0) bad("the mapping after restore");
    } else if (!strcmp(mode, "watch")) {
        char p[300];
        snprintf(p, sizeof p, "%s/new", path);
        close(open(p, O_CREAT | O_WRONLY, 0600));
        struct inotify_event *ev = (void *)buf;
        char evbuf[4096];
        ev = (void *)evbuf;
        if (read(fd, evbuf, sizeof evbuf) <= 0 || ev->wd != 1 || !(ev->mask & IN_CREATE)) bad("the watch after restore");
    } else if (!strcmp(mode, "cwd")) {
        char cwd[300];
        if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, path) != 0) bad("the cwd after restore");
    } else if (!strcmp(mode, "listen")) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strncpy(a.sun_path, path, sizeof a.sun_path - 1);
        if (connect(c, (struct sockaddr *)&a, sizeof a) != 0 || accept(fd, NULL, NULL) < 0) bad("the listener after restore");
    } else if (!strcmp(mode, "dgram")) {
        char cbuf[CMSG_SPACE(sizeof(struct ucred))];
        struct iovec iov = {buf, sizeof buf};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
        if (recvmsg(fd, &m, MSG_DONTWAIT) != 5) {
            bad("the datagram after restore");
        } else {
            struct cmsghdr *c = CMSG_FIRSTHDR(&m);
            struct ucred u;
            if (!c || c->cmsg_type != SCM_CREDENTIALS) {
                bad("no SCM_CREDENTIALS on the datagram");
            } else {
                memcpy(&u, CMSG_DATA(c), sizeof u);
                /* Any pid but this task's own (0 when the sender is outside its
                 * pid namespace) would be one it could not send. */
                if (u.uid != getuid() || u.gid != getgid() || (u.pid != 0 && u.pid != getpid()))
                    snprintf(verdict, sizeof verdict, "FAIL: the datagram says pid %d uid %d gid %d", (int)u.pid,
                             (int)u.uid, (int)u.gid);
            }
        }
    }
    if (!strcmp(mode, "connect")) {
        if (send(fd, "after", 5, 0) != 5) bad("a send to the peer after restore");
    } else if (!strcmp(mode, "fifo")) {
        if (read(fd, buf, 1) != 1 || buf[0] != 'F') bad("the FIFO's byte after restore");
    } else if (!strcmp(mode, "tmpfs-file")) {
        int t = open(path, O_RDONLY);
        if (t < 0 || read(t, buf, 5) != 5 || strncmp(buf, "TMPFS", 5) != 0) bad("the tmpfs file after restore");
    }
    put_file("/shared/result", verdict);
    for (;;) pause();
}
