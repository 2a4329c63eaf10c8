/* A self-checking workload for the files layer: it sets up its fds, reports
 * ready through a shared page, and when told to, checks every fd and reports
 * PASS or the first thing that differs. Static, like cr/proctests' counter,
 * so its address space is small and the same in every run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd_workload.h"

static char pattern_at(int i) { return (char)('A' + (i * 5 + i / 17) % 26); }

static void __attribute__((noreturn)) fail(struct fd_page* s, const char* what) {
    snprintf((char*)s->msg, sizeof s->msg, "%s", what);
    s->result = 2;
    s->done = 1;
    for (;;) pause();
}

int main(int argc, char** argv) {
    if (argc != 3) return 2;
    int sfd = open(argv[1], O_RDWR);
    struct fd_page* s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
    if (s == MAP_FAILED) return 3;
    close(sfd);
    syscall(SYS_close_range, 3, ~0u, 0);
    char path[512];

    int p[2];
    if (pipe(p) != 0 || p[0] != 3 || p[1] != 4) return 4;
    fcntl(4, F_SETFD, FD_CLOEXEC);
    if (fcntl(4, F_SETPIPE_SZ, 1 << 20) < 0) return 5;
    static char buf[FD_WORKLOAD_IN_FLIGHT];
    for (int i = 0; i < FD_WORKLOAD_IN_FLIGHT; ++i) buf[i] = pattern_at(i);
    if (write(4, buf, sizeof buf) != (ssize_t)sizeof buf) return 6;

    snprintf(path, sizeof path, "%s/data.txt", argv[2]);
    if (open(path, O_RDWR | O_APPEND) != 5) return 7;  /* holds "0123456789abcdef" */
    lseek(5, 4, SEEK_SET);

    snprintf(path, sizeof path, "%s/gone.txt", argv[2]);
    if (open(path, O_RDWR | O_CREAT | O_EXCL, 0600) != 6) return 8;
    if (write(6, "deleted but open", 16) != 16) return 9;
    lseek(6, 8, SEEK_SET);
    unlink(path);

    s->ready = 1;
    while (!s->go) usleep(1000);

    /* The pipe: every byte in flight, in order, and nothing more. */
    memset(buf, 0, sizeof buf);
    int got = 0;
    while (got < FD_WORKLOAD_IN_FLIGHT) {
        ssize_t n = read(3, buf + got, sizeof buf - got);
        if (n <= 0) fail(s, "pipe read failed");
        got += (int)n;
    }
    for (int i = 0; i < FD_WORKLOAD_IN_FLIGHT; ++i)
        if (buf[i] != pattern_at(i)) fail(s, "pipe data differs");
    int left = -1;
    if (ioctl(3, FIONREAD, &left) != 0 || left != 0) fail(s, "pipe holds more than was written");
    if (fcntl(3, F_GETFD) != 0 || fcntl(4, F_GETFD) != FD_CLOEXEC) fail(s, "pipe cloexec flags differ");
    if (fcntl(4, F_GETPIPE_SZ) != (1 << 20)) fail(s, "pipe size differs");

    /* The file: its offset, and O_APPEND still in force. */
    char three[4] = {0};
    if (read(5, three, 3) != 3 || strcmp(three, "456") != 0) fail(s, "file offset differs");
    if (!(fcntl(5, F_GETFL) & O_APPEND)) fail(s, "O_APPEND lost");
    if (write(5, "Z", 1) != 1) fail(s, "append failed");
    struct stat st;
    if (fstat(5, &st) != 0 || st.st_size != 17) fail(s, "append did not go to the end");

    /* The deleted file: contents and offset. */
    char rest[9] = {0};
    if (read(6, rest, 8) != 8 || strcmp(rest, "but open") != 0) fail(s, "deleted file differs");
    if (fstat(6, &st) != 0 || st.st_nlink != 0) fail(s, "deleted file has a name again");

    s->result = 1;
    s->done = 1;
    for (;;) pause();
}
