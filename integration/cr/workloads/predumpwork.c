/* The pre-dump workload (integration/cr/predump_*.sh): memory that keeps
 * changing between pre-dumps, verified page by page after the restore.
 *
 *   predumpwork memory MIB
 *
 * MIB MiB of anonymous memory, every 8-byte word a function of its position
 * and of its page's generation (a table the workload keeps, restored with it);
 * a thread that keeps writing a ticker page every millisecond. SIGUSR2 runs
 * the next step and then writes /shared/stepN:
 *   step 1: pages i % 8 == 1 rewritten (generation 2); a 4 MiB region
 *           unmapped; a 2 MiB region mapped and filled; 64 pages zapped
 *           (MADV_DONTNEED: zero afterwards);
 *   step 2: pages i % 16 == 3 rewritten (generation 3); a 1 MiB region mapped
 *           and filled; the first half of the step-1 region rewritten.
 * SIGUSR1 verifies every page and the ticker and writes PASS or FAIL to /shared/result. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define PAGE 4096
#define TICKS 512

static volatile sig_atomic_t got_usr2;
static void on_usr2(int sig) { (void)sig; got_usr2 = 1; }

static uint64_t pattern(uint64_t off, uint64_t seed) {
    uint64_t x = off * 0x9E3779B97F4A7C15ull ^ seed;
    x ^= x >> 29;
    return x * 0xBF58476D1CE4E5B9ull;
}

static uint64_t seed;
static uint64_t *region;      /* MIB MiB */
static size_t npages;
static uint8_t *gen;          /* per page of region */
static uint64_t *gone;        /* unmapped at step 1 */
static uint64_t *added1, *added2;
static uint64_t *zapped;      /* 64 pages, zero after step 1 */
static volatile uint64_t *ticker;
static volatile uint64_t last_tick;
static int steps;

static void fill_page(uint64_t *base, size_t page, uint64_t s) {
    uint64_t *p = base + page * (PAGE / 8);
    for (size_t w = 0; w < PAGE / 8; ++w) p[w] = pattern(page * (PAGE / 8) + w, s);
}

static int page_ok(const uint64_t *base, size_t page, uint64_t s) {
    const uint64_t *p = base + page * (PAGE / 8);
    for (size_t w = 0; w < PAGE / 8; ++w)
        if (p[w] != pattern(page * (PAGE / 8) + w, s)) return 0;
    return 1;
}

static void *tick_main(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (uint64_t t = 1;; ++t) {
        ticker[t % TICKS] = t;
        last_tick = t;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *map(size_t len) {
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { put_file("/shared/result", "FAIL: mmap\n"); exit(1); }
    return p;
}

static void step(void) {
    char name[64];
    ++steps;
    if (steps == 1) {
        for (size_t i = 1; i < npages; i += 8) gen[i] = 2, fill_page(region, i, seed + 2);
        munmap(gone, 4 << 20);
        added1 = map(2 << 20);
        for (size_t i = 0; i < (2 << 20) / PAGE; ++i) fill_page(added1, i, seed + 100);
        madvise(zapped, 64 * PAGE, MADV_DONTNEED);
    } else if (steps == 2) {
        for (size_t i = 3; i < npages; i += 16) gen[i] = 3, fill_page(region, i, seed + 3);
        added2 = map(1 << 20);
        for (size_t i = 0; i < (1 << 20) / PAGE; ++i) fill_page(added2, i, seed + 200);
        for (size_t i = 0; i < (1 << 20) / PAGE; ++i) fill_page(added1, i, seed + 101);
    }
    snprintf(name, sizeof name, "/shared/step%d", steps);
    put_file(name, "DONE\n");
}

static int verify(char *why, size_t n) {
    for (size_t i = 0; i < npages; ++i)
        if (!page_ok(region, i, seed + gen[i])) return snprintf(why, n, "page %zu (generation %d) differs", i, gen[i]), 0;
    if (steps >= 1) {
        for (size_t i = 0; i < (2 << 20) / PAGE; ++i)
            if (!page_ok(added1, i, seed + (steps >= 2 && i < (1 << 20) / PAGE ? 101 : 100)))
                return snprintf(why, n, "page %zu of the region mapped at step 1 differs", i), 0;
        for (size_t w = 0; w < 64 * PAGE / 8; ++w)
            if (zapped[w] != 0) return snprintf(why, n, "zapped word %zu is not zero", w), 0;
    } else {
        for (size_t i = 0; i < (4 << 20) / PAGE; ++i)
            if (!page_ok(gone, i, seed + 50)) return snprintf(why, n, "page %zu of the 4 MiB region differs", i), 0;
    }
    if (steps >= 2)
        for (size_t i = 0; i < (1 << 20) / PAGE; ++i)
            if (!page_ok(added2, i, seed + 200)) return snprintf(why, n, "page %zu of the region mapped at step 2 differs", i), 0;
    uint64_t top = 0, last = last_tick;
    for (int j = 0; j < TICKS; ++j) {
        uint64_t t = ticker[j];
        if (t && t % TICKS != (uint64_t)j) return snprintf(why, n, "ticker slot %d holds %llu", j, (unsigned long long)t), 0;
        if (t > top) top = t;
    }
    if (last < 100 || top + 1 < last || top > last + 1)
        return snprintf(why, n, "ticker at %llu, last tick %llu", (unsigned long long)top, (unsigned long long)last), 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || strcmp(argv[1], "memory")) { fprintf(stderr, "usage: predumpwork memory MIB\n"); return 2; }
    install_usr1();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    size_t len = (size_t)atol(argv[2]) << 20;
    npages = len / PAGE;
    seed = (uint64_t)time(NULL) * 1000003u;
    region = map(len);
    gen = map(npages);
    for (size_t i = 0; i < npages; ++i) gen[i] = 1, fill_page(region, i, seed + 1);
    gone = map(4 << 20);
    for (size_t i = 0; i < (4 << 20) / PAGE; ++i) fill_page(gone, i, seed + 50);
    zapped = map(64 * PAGE);
    memset(zapped, 0x77, 64 * PAGE);
    ticker = map(PAGE);
    pthread_t t;
    pthread_create(&t, NULL, tick_main, NULL);
    put_file("/shared/ready", "READY\n");
    for (;;) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        if (got_usr2) {
            got_usr2 = 0;
            step();
        }
        if (got_usr1) {
            got_usr1 = 0;
            char why[256] = "";
            int ok = verify(why, sizeof why);
            char buf[320];
            snprintf(buf, sizeof buf, "%s%s\n", ok ? "PASS" : "FAIL: ", ok ? "" : why);
            put_file("/shared/result", buf);
        }
    }
}
