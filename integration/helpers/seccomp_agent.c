/* seccomp_agent SOCKET_PATH STATE_FILE ERRNO [TIMEOUT_S]
 *
 * A minimal seccomp agent (the OCI "seccomp listener"): listens on a unix
 * socket, accepts one connection, takes the notify fd the runtime sends with
 * SCM_RIGHTS, writes the message that came with it (the container process
 * state JSON) to STATE_FILE, then answers every notification with -ERRNO
 * until the filtered processes are gone or the timeout passes.
 * Prints "ready" once listening and "notified N" for each answered call.
 * Exit: 0 after a listener was received, 1 on any error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what)
{
    fprintf(stderr, "seccomp_agent: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: seccomp_agent SOCKET_PATH STATE_FILE ERRNO [TIMEOUT_S]\n");
        return 1;
    }
    int answer = atoi(argv[3]);
    int timeout_s = argc > 4 ? atoi(argv[4]) : 30;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof addr.sun_path) return die("socket path too long");
    strcpy(addr.sun_path, argv[1]);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0) return die("socket");
    unlink(argv[1]);
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0) return die("bind");
    if (listen(ls, 1) < 0) return die("listen");
    printf("ready\n");
    fflush(stdout);

    struct pollfd pl = {.fd = ls, .events = POLLIN};
    if (poll(&pl, 1, timeout_s * 1000) != 1) return die("no connection");
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) return die("accept");

    /* The fd comes with the first bytes; the rest of the state follows until EOF. */
    FILE *state = fopen(argv[2], "w");
    if (!state) return die("open the state file");
    int notify = -1;
    for (;;) {
        char buf[4096];
        char control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {buf, sizeof buf};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
        ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return die("recvmsg");
        if (n == 0) break;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) memcpy(&notify, CMSG_DATA(cm), sizeof notify);
        fwrite(buf, 1, (size_t)n, state);
    }
    fclose(state);
    close(c);
    if (notify < 0) {
        fprintf(stderr, "seccomp_agent: no fd came with the message\n");
        return 1;
    }

    time_t end = time(NULL) + timeout_s;
    int answered = 0;
    while (time(NULL) < end) {
        struct pollfd p = {.fd = notify, .events = POLLIN};
        int r = poll(&p, 1, 200);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return die("poll");
        if (r == 0) continue;
        if (p.revents & POLLHUP) break; /* every filtered process is gone */
        struct seccomp_notif req;
        memset(&req, 0, sizeof req);
        if (ioctl(notify, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
            if (errno == EINTR || errno == ENOENT) continue;
            return die("SECCOMP_IOCTL_NOTIF_RECV");
        }
        struct seccomp_notif_resp resp = {.id = req.id, .error = -answer, .val = 0, .flags = 0};
        if (ioctl(notify, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT) return die("SECCOMP_IOCTL_NOTIF_SEND");
        printf("notified %d\n", req.data.nr);
        fflush(stdout);
        answered++;
    }
    return answered > 0 ? 0 : 1;
}
