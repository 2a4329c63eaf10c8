/* Floors for the container checkpoint/restore benchmark (cr_bench.sh): the
 * fastest plain ways this machine moves the same bytes.
 *
 *   cr_floor dump MIB FILE   a child fills MIB MiB; its bytes go to FILE (and
 *                            fsync) several ways (see dump_way); the fastest
 *                            is the checkpoint floor
 *   cr_floor fill MIB        fresh anonymous memory filled three ways: 4 KiB
 *                            first touch, MADV_POPULATE_WRITE then write,
 *                            2 MiB huge pages (MADV_HUGEPAGE): restore floors
 *   cr_floor read FILE       read FILE to the end (the image read part)
 * Prints "name milliseconds" lines. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* user + system CPU of this process: on a loaded machine, a steadier figure than wall time */
static double cpu_ms(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void fill(char *p, size_t len) {
    for (size_t i = 0; i < len; i += 4096) memset(p + i, (int)(i >> 12), 4096);
}

/* The checkpoint floor: a child owns LEN bytes of its own touched memory (as
 * a container's task does); the bytes go into FILE, then fsync, timed from
 * the start of the transfer to the end of the fsync. Ways:
 *   pvr_write        process_vm_readv into a 16 MiB buffer, write (two copies)
 *   vmsplice_splice  the child vmsplices its memory into a pipe of
 *                    pipe-max-size, this process splices it to FILE (one copy)
 *   self_write       the child write()s its own memory to FILE (one copy)
 *   pvr_direct       process_vm_readv, then O_DIRECT write: no page cache,
 *                    so no fresh memory for it (which is what a copy into the
 *                    page cache mostly costs on this VM)
 * Each way gets a fresh child and a fresh file, in this order. */
struct child {
    pid_t pid;
    char *mem; /* its address of the memory */
    int go;    /* write a byte: the child runs its part, then exits */
};

enum way { pvr_write, vmsplice_splice, self_write, pvr_direct, ways };
static const char *way_name[ways] = {"pvr_write", "vmsplice_splice", "self_write", "pvr_direct"};

static int child_part(enum way w, char *mem, size_t len, int pipe_w, int file_fd) {
    size_t off = 0;
    while (off < len) {
        struct iovec v = {mem + off, len - off};
        ssize_t n = w == vmsplice_splice ? vmsplice(pipe_w, &v, 1, 0) : write(file_fd, mem + off, len - off);
        if (n <= 0) return 1;
        off += (size_t)n;
    }
    return 0;
}

static struct child spawn(enum way w, size_t len, int pipe_w, int file_fd) {
    int ready[2], go[2];
    struct child c = {0};
    if (pipe(ready) != 0 || pipe(go) != 0) exit(1);
    c.pid = fork();
    if (c.pid == 0) {
        char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        fill(mem, len);
        if (write(ready[1], &mem, sizeof mem) != sizeof mem) _exit(1);
        char b;
        if (read(go[0], &b, 1) != 1) _exit(1);
        if (w == vmsplice_splice || w == self_write) _exit(child_part(w, mem, len, pipe_w, file_fd));
        for (;;) pause(); /* read from outside until killed */
    }
    if (read(ready[0], &c.mem, sizeof c.mem) != sizeof c.mem) exit(1);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    c.go = go[1];
    return c;
}

static double dump_way(enum way w, size_t len, const char *file, double *cpu) {
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | (w == pvr_direct ? O_DIRECT : 0), 0644);
    if (fd < 0) { perror(file); exit(1); }
    int p[2] = {-1, -1};
    if (w == vmsplice_splice) {
        if (pipe(p) != 0) exit(1);
        FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
        int max = 1 << 20;
        if (f) { if (fscanf(f, "%d", &max) != 1) max = 1 << 20; fclose(f); }
        fcntl(p[1], F_SETPIPE_SZ, max);
    }
    struct child c = spawn(w, len, p[1], fd);
    if (p[1] >= 0) close(p[1]);
    size_t buf_len = 16u << 20;
    char *buf = mmap(NULL, buf_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    double t0 = now_ms(), c0 = cpu_ms();
    if (write(c.go, "g", 1) != 1) exit(1);
    if (w == pvr_write || w == pvr_direct) {
        for (size_t off = 0; off < len; off += buf_len) {
            size_t n = len - off < buf_len ? len - off : buf_len;
            struct iovec l = {buf, n}, r = {c.mem + off, n};
            if (process_vm_readv(c.pid, &l, 1, &r, 1, 0) != (ssize_t)n) { perror("process_vm_readv"); exit(1); }
            if (write(fd, buf, n) != (ssize_t)n) { perror("write"); exit(1); }
        }
    } else if (w == vmsplice_splice) {
        for (size_t got = 0; got < len;) {
            ssize_t n = splice(p[0], NULL, fd, NULL, len - got, SPLICE_F_MOVE);
            if (n <= 0) { perror("splice"); exit(1); }
            got += (size_t)n;
        }
    }
    int status = 0;
    if (w == self_write) waitpid(c.pid, &status, 0);
    if (fsync(fd) != 0) { perror("fsync"); exit(1); }
    double ms = now_ms() - t0;
    *cpu = cpu_ms() - c0;
    if (w != self_write) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &status, 0);
    }
    close(c.go);
    if (p[0] >= 0) close(p[0]);
    close(fd);
    munmap(buf, buf_len);
    unlink(file);
    return ms;
}

static int dump(size_t len, const char *file) {
    double best = 0, best_cpu = 0;
    for (int w = 0; w < ways; ++w) {
        double cpu = 0, ms = dump_way((enum way)w, len, file, &cpu);
        printf("dump_%s_ms %.1f\n", way_name[w], ms);
        if (w == 0 || ms < best) best = ms, best_cpu = cpu;
    }
    printf("dump_floor_ms %.1f\n", best);
    printf("dump_floor_cpu_ms %.1f\n", best_cpu);
    return 0;
}

static int fills(size_t len) {
    double t0 = now_ms();
    char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fill(a, len);
    printf("fill_4k_touch_ms %.1f\n", now_ms() - t0);
    munmap(a, len);
    t0 = now_ms();
    a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(a, len, MADV_POPULATE_WRITE);
    fill(a, len);
    printf("fill_populate_write_ms %.1f\n", now_ms() - t0);
    munmap(a, len);
    t0 = now_ms();
    size_t huge = 2u << 20;
    char *raw = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
    madvise(a, len, MADV_HUGEPAGE);
    fill(a, len);
    printf("fill_thp_ms %.1f\n", now_ms() - t0);
    munmap(raw, len + huge);
    return 0;
}

static int readall(const char *file) {
    int fd = open(file, O_RDONLY);
    if (fd < 0) { perror(file); return 1; }
    size_t buf_len = 8u << 20;
    char *buf = malloc(buf_len);
    double t0 = now_ms();
    ssize_t n;
    while ((n = read(fd, buf, buf_len)) > 0) {
    }
    printf("read_image_ms %.1f\n", now_ms() - t0);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && !strcmp(argv[1], "dump")) return dump((size_t)atol(argv[2]) << 20, argv[3]);
    if (argc >= 3 && !strcmp(argv[1], "fill")) return fills((size_t)atol(argv[2]) << 20);
    if (argc >= 3 && !strcmp(argv[1], "read")) return readall(argv[2]);
    fprintf(stderr, "usage: cr_floor dump MIB FILE | fill MIB | read FILE\n");
    return 2;
}
