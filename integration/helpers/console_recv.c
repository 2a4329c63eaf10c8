/* console_recv SOCKET_PATH OUTPUT_FILE [TIMEOUT_S]
 *
 * The receiving end of an OCI runtime's --console-socket: listens on a unix
 * socket, accepts one connection, takes the pty master the runtime sends with
 * SCM_RIGHTS, and copies everything read from the master into OUTPUT_FILE until
 * the container side closes (read gives EIO) or the timeout passes.
 * Writes "ready" to stdout once listening, so a test can wait for it.
 * Exit: 0 after a master was received and drained, 1 on any error.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what)
{
    fprintf(stderr, "console_recv: %s: %s\n", what, strerror(errno));
    return 1;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: console_recv SOCKET_PATH OUTPUT_FILE [TIMEOUT_S]\n");
        return 2;
    }
    const long deadline = now_ms() + 1000L * (argc > 3 ? atol(argv[3]) : 30);

    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        return die("socket");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(argv[1]) >= sizeof addr.sun_path) {
        fprintf(stderr, "console_recv: socket path too long: %s\n", argv[1]);
        return 1;
    }
    strcpy(addr.sun_path, argv[1]);
    unlink(argv[1]);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0)
        return die(argv[1]);
    if (listen(listener, 1) < 0)
        return die("listen");
    printf("ready\n");
    fflush(stdout);

    struct pollfd pl = {.fd = listener, .events = POLLIN};
    if (poll(&pl, 1, (int)(deadline - now_ms())) <= 0) {
        fprintf(stderr, "console_recv: no connection on %s before the timeout\n", argv[1]);
        return 1;
    }
    int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0)
        return die("accept");

    char name[256];
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = name, .iov_len = sizeof name - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0)
        return die("recvmsg");
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (cm == NULL || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
        fprintf(stderr, "console_recv: message carried no SCM_RIGHTS fd\n");
        return 1;
    }
    int master;
    memcpy(&master, CMSG_DATA(cm), sizeof master);
    close(conn);

    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        return die(argv[2]);
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0) {
            fprintf(stderr, "console_recv: timeout while reading the console\n");
            return 1;
        }
        struct pollfd pm = {.fd = master, .events = POLLIN};
        if (poll(&pm, 1, (int)left) < 0 && errno != EINTR)
            return die("poll");
        char buf[4096];
        ssize_t r = read(master, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno == EIO))
            break; /* the last slave fd closed: the container side is done */
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return die("read master");
        }
        if (write(out, buf, (size_t)r) != r)
            return die("write output");
    }
    close(out);
    return 0;
}
