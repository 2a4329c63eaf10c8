/* Floors for the container checkpoint/restore benchmark (cr_bench.sh): the
 * fastest plain ways this machine moves the same bytes.
 *
 *   cr_floor dump MIB FILE   a child fills MIB MiB; the parent reads it with
 *                            process_vm_readv (16 MiB at a time) and write()s
 *                            it to FILE: the checkpoint floor
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

static int dump(size_t len, const char *file) {
    char *src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fill(src, len);
    int go[2];
    if (pipe(go) != 0) return 1;
    pid_t child = fork();
    if (child == 0) {
        char c;
        if (read(go[0], &c, 1) < 0) _exit(1);
        _exit(0);
    }
    size_t buf_len = 16u << 20;
    char *buf = mmap(NULL, buf_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    double t0 = now_ms(), c0 = cpu_ms();
    for (size_t off = 0; off < len; off += buf_len) {
        size_t n = len - off < buf_len ? len - off : buf_len;
        struct iovec l = {buf, n}, r = {src + off, n};
        if (process_vm_readv(child, &l, 1, &r, 1, 0) != (ssize_t)n) { perror("process_vm_readv"); return 1; }
        if (write(fd, buf, n) != (ssize_t)n) { perror("write"); return 1; }
    }
    fsync(fd);
    close(fd);
    printf("dump_floor_ms %.1f\n", now_ms() - t0);
    printf("dump_floor_cpu_ms %.1f\n", cpu_ms() - c0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    unlink(file);
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
