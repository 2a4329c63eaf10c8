/* Self-checking workload for the IPC checkpoint/restore tests (cr/ipc).
 *
 *   ipcwork MODE [ARG]
 *
 * Each container mode sets up IPC state in the container's own IPC
 * namespace, writes /shared/ready, waits for SIGUSR1, then verifies that
 * state (ids, keys, modes, owners, contents, order) and writes PASS or
 * "FAIL: why" to /shared/result. Children verify their part and report by
 * exit status.
 *
 * Modes:
 *   shm        segment A (key 0x1a2b) shared by the init (rw), a writer child
 *              (rw) and a reader child (SHM_RDONLY), SHM_LOCKed when the
 *              container may (/shared/shm_locked); segment B (IPC_PRIVATE,
 *              sparse, 1 MiB) in the init; segment C deleted but attached
 *              (SHM_DEST); segment D (key 0x0d0d) attached by nobody
 *   msg        a queue (key 0x4d53) with messages of mixed types, one empty,
 *              a lowered byte limit; an empty private queue
 *   sem        a set of 4 (key 0x5345) with values, a second private set,
 *              and a child blocked in semop until the init releases it
 *   mq         POSIX queues /prio (messages of mixed priorities) and /empty
 *   mqfd       POSIX queue /kept with a message, its descriptor kept open
 *   leak       segment key 0x4c4b attached by the init only
 *   shmaddr    segment E (3 pages + 1 byte) attached at an address the process
 *              chose and again read-only at a second one, segment F (1 byte)
 *              attached at a chosen address; /proc/self/maps held open across
 *              the checkpoint and read after it to find the attachments
 *   sysctl     the IPC namespace's sysctls (kernel.msg*, shm*, sem,
 *              fs.mqueue.*) set to values other than the defaults
 *   attach KEY [NS] (run outside the container, in its IPC namespace) attach
 *              the segment with KEY, go back to IPC namespace NS (a path),
 *              print our pid and the shmid, and sleep until killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"



static char why[512];
static int failed;
#define CHECK(cond, ...)                                              \
    do {                                                              \
        if (!(cond) && !failed) {                                     \
            failed = 1;                                               \
            snprintf(why, sizeof why, __VA_ARGS__);                   \
        }                                                             \
    } while (0)

static void wait_usr1(void) {
    sigset_t none;
    sigemptyset(&none);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    while (!got_usr1) sigsuspend(&none);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
}

static void finish(void) {
    char buf[600];
    snprintf(buf, sizeof buf, "%s%s\n", failed ? "FAIL: " : "PASS", failed ? why : "");
    put_file("/shared/result", buf);
}

#define MAX_KIDS 4
static pid_t kids[MAX_KIDS];
static int nkids;

static pid_t spawn(int (*fn)(void *), void *arg) {
    pid_t p = fork();
    if (p == 0) {
        install_usr1();
        _exit(fn(arg));
    }
    kids[nkids++] = p;
    return p;
}

/* SIGUSR1 to the children, then their verdicts. */
static void collect_kids(void) {
    for (int i = 0; i < nkids; ++i) kill(kids[i], SIGUSR1);
    for (int i = 0; i < nkids; ++i) {
        int st = 0;
        if (waitpid(kids[i], &st, 0) != kids[i]) {
            CHECK(0, "waitpid child %d: %s", (int)kids[i], strerror(errno));
            continue;
        }
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d failed with status %#x (check %d)", (int)kids[i], st,
              WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
}

static unsigned char pattern(int seg, size_t i) { return (unsigned char)(seg * 31 + i * 7 + (i >> 12)); }

/* ---- shm ---- */
#define A_SIZE (3 * 4096 + 100)
#define B_SIZE (1 << 20)
#define C_SIZE 8192
#define D_SIZE 5000
static int shm_a, shm_b, shm_c, shm_d;

static const char *maps_perms(void *addr) {
    static char perms[8];
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f) return "?";
    char line[512];
    perms[0] = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long s, e;
        char p[8];
        if (sscanf(line, "%lx-%lx %7s", &s, &e, p) == 3 && s == (unsigned long)addr) {
            snprintf(perms, sizeof perms, "%s", p);
            break;
        }
    }
    fclose(f);
    return perms;
}

static int shm_writer(void *arg) {
    unsigned char *a = shmat(shm_a, NULL, 0);
    if (a == (void *)-1) return 10;
    a[4096 * 2] = 0xAB;  /* the writer's mark, seen by everyone */
    (void)arg;
    wait_usr1();
    if (a[4096 * 2] != 0xAB) return 11;
    for (size_t i = 0; i < A_SIZE; ++i)
        if (i != 4096 * 2 && i != 4096 * 2 + 1 && a[i] != pattern(1, i)) return 12;
    /* Written after the restore: the init must see it (the mapping is still shared). */
    a[4096 * 2 + 1] = 0xCD;
    if (strcmp(maps_perms(a), "rw-s") != 0) return 13;
    return 0;
}

static int shm_reader(void *arg) {
    (void)arg;
    unsigned char *a = shmat(shm_a, NULL, SHM_RDONLY);
    if (a == (void *)-1) return 20;
    wait_usr1();
    for (size_t i = 0; i < 4096 * 2; ++i)
        if (a[i] != pattern(1, i)) return 21;
    if (strcmp(maps_perms(a), "r--s") != 0) return 22;
    return 0;
}

static void check_seg(int id, int key, size_t size, int mode, const char *name) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) != 0) {
        CHECK(0, "IPC_STAT of segment %s (%d): %s", name, id, strerror(errno));
        return;
    }
    CHECK(ds.shm_perm.__key == key, "segment %s key %#x, want %#x", name, ds.shm_perm.__key, key);
    CHECK(ds.shm_segsz == size, "segment %s size %zu, want %zu", name, (size_t)ds.shm_segsz, size);
    CHECK((ds.shm_perm.mode & 0777) == (unsigned)(mode & 0777), "segment %s mode %#o, want %#o", name,
          ds.shm_perm.mode & 0777, mode & 0777);
    CHECK((ds.shm_perm.mode & SHM_DEST) == (unsigned)(mode & SHM_DEST), "segment %s SHM_DEST %#o", name,
          ds.shm_perm.mode);
}

static void mode_shm(void) {
    shm_a = shmget(0x1a2b, A_SIZE, IPC_CREAT | IPC_EXCL | 0640);
    shm_b = shmget(IPC_PRIVATE, B_SIZE, IPC_CREAT | 0600);
    shm_c = shmget(0x0c0c, C_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    shm_d = shmget(0x0d0d, D_SIZE, IPC_CREAT | IPC_EXCL | 0604);
    if (shm_a < 0 || shm_b < 0 || shm_c < 0 || shm_d < 0) {
        CHECK(0, "shmget: %s", strerror(errno));
        finish();
        return;
    }
    struct shmid_ds ds;
    shmctl(shm_d, IPC_STAT, &ds);
    ds.shm_perm.uid = 1234;
    ds.shm_perm.gid = 4321;
    shmctl(shm_d, IPC_SET, &ds);
    /* Locked in memory (SHM_LOCK: the creator may, within RLIMIT_MEMLOCK); checked when it worked. */
    int locked = shmctl(shm_a, SHM_LOCK, NULL) == 0;
    put_file("/shared/shm_locked", locked ? "1\n" : "0\n");
    unsigned char *a = shmat(shm_a, NULL, 0);
    unsigned char *b = shmat(shm_b, NULL, 0);
    unsigned char *c = shmat(shm_c, NULL, 0);
    unsigned char *d = shmat(shm_d, NULL, 0);
    for (size_t i = 0; i < A_SIZE; ++i) a[i] = pattern(1, i);
    for (size_t i = 0; i < B_SIZE; i += 65536) b[i] = pattern(2, i);  /* sparse */
    for (size_t i = 0; i < C_SIZE; ++i) c[i] = pattern(3, i);
    for (size_t i = 0; i < D_SIZE; ++i) d[i] = pattern(4, i);
    shmdt(d);
    shmctl(shm_c, IPC_RMID, NULL);  /* deleted, still attached */
    spawn(shm_writer, NULL);
    spawn(shm_reader, NULL);
    int ids[4] = {shm_a, shm_b, shm_c, shm_d};
    /* Ready once the writer has left its mark. */
    for (int i = 0; i < 2000 && a[4096 * 2] != 0xAB; ++i) usleep(1000);
    put_file("/shared/ready", "READY\n");
    wait_usr1();
    collect_kids();
    CHECK(a[4096 * 2] == 0xAB && a[4096 * 2 + 1] == 0xCD, "the writer's marks are not in the init's view of A (%#x %#x)",
          a[4096 * 2], a[4096 * 2 + 1]);
    for (size_t i = 0; i < A_SIZE; ++i)
        if (i != 4096 * 2 && i != 4096 * 2 + 1) CHECK(a[i] == pattern(1, i), "A[%zu] = %#x", i, a[i]);
    for (size_t i = 0; i < B_SIZE; ++i)
        CHECK(b[i] == (i % 65536 ? 0 : pattern(2, i)), "B[%zu] = %#x", i, b[i]);
    for (size_t i = 0; i < C_SIZE; ++i) CHECK(c[i] == pattern(3, i), "C[%zu] = %#x", i, c[i]);
    check_seg(ids[0], 0x1a2b, A_SIZE, 0640, "A");
    check_seg(ids[1], IPC_PRIVATE, B_SIZE, 0600, "B");
    check_seg(ids[2], IPC_PRIVATE, C_SIZE, 0600 | SHM_DEST, "C");
    check_seg(ids[3], 0x0d0d, D_SIZE, 0604, "D");
    CHECK(shmget(0x1a2b, 0, 0) == shm_a, "key 0x1a2b no longer finds segment %d", shm_a);
    if (locked) {
        shmctl(shm_a, IPC_STAT, &ds);
        CHECK(ds.shm_perm.mode & SHM_LOCKED, "segment A is no longer SHM_LOCKED (mode %#o)", ds.shm_perm.mode);
    }
    CHECK(shmget(0x0c0c, 0, 0) < 0, "the deleted segment C's key still finds a segment");
    shmctl(shm_d, IPC_STAT, &ds);
    CHECK(ds.shm_perm.uid == 1234 && ds.shm_perm.gid == 4321 && ds.shm_perm.cuid == 0, "D owner %u:%u creator %u",
          ds.shm_perm.uid, ds.shm_perm.gid, ds.shm_perm.cuid);
    CHECK(ds.shm_nattch == 0, "D has %lu attachments", (unsigned long)ds.shm_nattch);
    d = shmat(shm_d, NULL, SHM_RDONLY);
    CHECK(d != (void *)-1, "attach D: %s", strerror(errno));
    if (d != (void *)-1)
        for (size_t i = 0; i < D_SIZE; ++i) CHECK(d[i] == pattern(4, i), "D[%zu] = %#x", i, d[i]);
    shmctl(shm_a, IPC_STAT, &ds);
    CHECK(ds.shm_nattch == 1, "A has %lu attachments after the children left, want 1", (unsigned long)ds.shm_nattch);
    finish();
}

/* ---- msg ---- */
struct msgbuf_big {
    long mtype;
    char text[256];
};
static const struct {
    long type;
    const char *text;
} msgs[] = {{1, "first of type one"}, {5, "five-a"}, {2, ""}, {5, "five-b, longer text"}, {1, "second of type one"}, {3, "x"}};
#define NMSGS (sizeof msgs / sizeof msgs[0])

static void mode_msg(void) {
    int q = msgget(0x4d53, IPC_CREAT | IPC_EXCL | 0620);
    int p = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (q < 0 || p < 0) {
        CHECK(0, "msgget: %s", strerror(errno));
        finish();
        return;
    }
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 3000;
    msgctl(q, IPC_SET, &ds);
    for (size_t i = 0; i < NMSGS; ++i) {
        struct msgbuf_big m;
        m.mtype = msgs[i].type;
        strcpy(m.text, msgs[i].text);
        if (msgsnd(q, &m, strlen(msgs[i].text), IPC_NOWAIT) != 0) CHECK(0, "msgsnd %zu: %s", i, strerror(errno));
    }
    put_file("/shared/ready", "READY\n");
    wait_usr1();
    CHECK(msgget(0x4d53, 0) == q, "key 0x4d53 no longer finds queue %d", q);
    msgctl(q, IPC_STAT, &ds);
    CHECK(ds.msg_qnum == NMSGS, "queue holds %lu messages, want %zu", (unsigned long)ds.msg_qnum, NMSGS);
    CHECK(ds.msg_qbytes == 3000, "queue byte limit %lu, want 3000", (unsigned long)ds.msg_qbytes);
    CHECK((ds.msg_perm.mode & 0777) == 0620, "queue mode %#o", ds.msg_perm.mode);
    struct msqid_ds pds;
    CHECK(msgctl(p, IPC_STAT, &pds) == 0 && pds.msg_qnum == 0, "private queue %d: %s", p, strerror(errno));
    /* By type first: the first type-5 message, then the rest in order. */
    struct msgbuf_big m;
    ssize_t n = msgrcv(q, &m, sizeof m.text, 5, IPC_NOWAIT);
    CHECK(n == 6 && m.mtype == 5 && memcmp(m.text, "five-a", 6) == 0, "first type-5 message wrong (%zd bytes)", n);
    for (size_t i = 0; i < NMSGS; ++i) {
        if (i == 1) continue;
        n = msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT);
        size_t want = strlen(msgs[i].text);
        CHECK(n == (ssize_t)want && m.mtype == msgs[i].type && memcmp(m.text, msgs[i].text, want) == 0,
              "message %zu: type %ld, %zd bytes, want type %ld \"%s\"", i, m.mtype, n, msgs[i].type, msgs[i].text);
    }
    CHECK(msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT) < 0 && errno == ENOMSG, "the queue holds extra messages");
    finish();
}

/* ---- sem ---- */
static int sem_a;
static int sem_waiter(void *arg) {
    (void)arg;
    struct sembuf op = {3, -1, 0};  /* blocks: semaphore 3 is 0 until the init releases it */
    while (semop(sem_a, &op, 1) != 0)
        if (errno != EINTR) return 30;
    return 0;
}

static void mode_sem(void) {
    sem_a = semget(0x5345, 4, IPC_CREAT | IPC_EXCL | 0660);
    int b = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    if (sem_a < 0 || b < 0) {
        CHECK(0, "semget: %s", strerror(errno));
        finish();
        return;
    }
    unsigned short va[4] = {7, 32767, 1, 0}, vb[2] = {5, 9};
    semctl(sem_a, 0, SETALL, va);
    semctl(b, 0, SETALL, vb);
    struct sembuf op = {0, -2, 0};  /* in use: 7 - 2 */
    semop(sem_a, &op, 1);
    spawn(sem_waiter, NULL);
    for (int i = 0; i < 2000 && semctl(sem_a, 3, GETNCNT) != 1; ++i) usleep(1000);
    put_file("/shared/ready", "READY\n");
    wait_usr1();
    CHECK(semget(0x5345, 0, 0) == sem_a, "key 0x5345 no longer finds set %d", sem_a);
    unsigned short got[4], gotb[2];
    semctl(sem_a, 0, GETALL, got);
    semctl(b, 0, GETALL, gotb);
    CHECK(got[0] == 5 && got[1] == 32767 && got[2] == 1 && got[3] == 0, "set values %u %u %u %u", got[0], got[1],
          got[2], got[3]);
    CHECK(gotb[0] == 5 && gotb[1] == 9, "private set values %u %u", gotb[0], gotb[1]);
    struct semid_ds ds;
    semctl(sem_a, 0, IPC_STAT, &ds);
    CHECK((ds.sem_perm.mode & 0777) == 0660 && ds.sem_nsems == 4, "set mode %#o nsems %lu", ds.sem_perm.mode,
          (unsigned long)ds.sem_nsems);
    /* The blocked child goes on once semaphore 3 is released. */
    struct sembuf rel = {3, 1, 0};
    semop(sem_a, &rel, 1);
    collect_kids();
    CHECK(semctl(sem_a, 3, GETVAL) == 0, "semaphore 3 is %d after the child took it", semctl(sem_a, 3, GETVAL));
    finish();
}

/* ---- mq ---- */
static const struct {
    unsigned prio;
    const char *text;
} mqmsgs[] = {{1, "low"}, {5, "high-1"}, {3, "mid"}, {5, "high-2"}, {0, ""}};
/* Receive order: by priority, FIFO within one. */
static const int mq_order[] = {1, 3, 2, 0, 4};

static void mode_mq(void) {
    struct mq_attr attr = {0, 8, 64, 0, {0}};
    umask(0);
    mqd_t q = mq_open("/prio", O_CREAT | O_EXCL | O_WRONLY, 0640, &attr);
    struct mq_attr attr2 = {0, 2, 16, 0, {0}};
    mqd_t e = mq_open("/empty", O_CREAT | O_EXCL | O_RDONLY, 0600, &attr2);
    if (q == (mqd_t)-1 || e == (mqd_t)-1) {
        CHECK(0, "mq_open: %s", strerror(errno));
        finish();
        return;
    }
    for (size_t i = 0; i < 5; ++i)
        if (mq_send(q, mqmsgs[i].text, strlen(mqmsgs[i].text), mqmsgs[i].prio) != 0)
            CHECK(0, "mq_send %zu: %s", i, strerror(errno));
    /* Descriptors closed: only the queues themselves cross the checkpoint. */
    mq_close(q);
    mq_close(e);
    put_file("/shared/ready", "READY\n");
    wait_usr1();
    q = mq_open("/prio", O_RDONLY | O_NONBLOCK);
    CHECK(q != (mqd_t)-1, "reopen /prio: %s", strerror(errno));
    if (q != (mqd_t)-1) {
        struct mq_attr a;
        mq_getattr(q, &a);
        CHECK(a.mq_maxmsg == 8 && a.mq_msgsize == 64 && a.mq_curmsgs == 5, "/prio attrs %ld %ld %ld", a.mq_maxmsg,
              a.mq_msgsize, a.mq_curmsgs);
        for (int i = 0; i < 5; ++i) {
            char buf[64];
            unsigned prio = 99;
            ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
            int w = mq_order[i];
            size_t want = strlen(mqmsgs[w].text);
            CHECK(n == (ssize_t)want && prio == mqmsgs[w].prio && memcmp(buf, mqmsgs[w].text, want) == 0,
                  "message %d: %zd bytes prio %u, want \"%s\" prio %u", i, n, prio, mqmsgs[w].text, mqmsgs[w].prio);
        }
        mq_close(q);
    }
    e = mq_open("/empty", O_RDONLY | O_NONBLOCK);
    CHECK(e != (mqd_t)-1, "reopen /empty: %s", strerror(errno));
    if (e != (mqd_t)-1) {
        struct mq_attr a;
        mq_getattr(e, &a);
        CHECK(a.mq_maxmsg == 2 && a.mq_msgsize == 16 && a.mq_curmsgs == 0, "/empty attrs %ld %ld %ld", a.mq_maxmsg,
              a.mq_msgsize, a.mq_curmsgs);
        mq_close(e);
    }
    struct stat st;
    CHECK(stat("/dev/mqueue/prio", &st) == 0 && (st.st_mode & 0777) == 0640, "/dev/mqueue/prio mode %#o",
          st.st_mode & 0777);
    finish();
}

/* A descriptor kept open across the checkpoint. */
static void mode_mqfd(void) {
    struct mq_attr attr = {0, 4, 32, 0, {0}};
    mqd_t q = mq_open("/kept", O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (q == (mqd_t)-1 || mq_send(q, "kept", 4, 7) != 0) {
        CHECK(0, "mq: %s", strerror(errno));
        finish();
        return;
    }
    put_file("/shared/ready", "READY\n");
    wait_usr1();
    char buf[32];
    unsigned prio = 0;
    ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
    CHECK(n == 4 && prio == 7 && memcmp(buf, "kept", 4) == 0, "receive through the kept descriptor: %zd (%s)", n,
          n < 0 ? strerror(errno) : "");
    finish();
}

/* ---- shmaddr ---- */
#define E_SIZE (3 * 4096 + 1)
#define E_ADDR ((void *)0x3a0000000UL)
#define E_ADDR2 ((void *)0x3b0001000UL)
#define F_SIZE 1
#define F_ADDR ((void *)0x3c0005000UL)

/* The maps line of the VMA at `addr`, read through the descriptor held since before the checkpoint. */
static int maps_line_at(int maps, void *addr, unsigned long *end, char *perms, unsigned long *ino) {
    static char buf[1 << 16];
    ssize_t n = pread(maps, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long s, e, off, i;
        char p[8], dev[16];
        if (sscanf(line, "%lx-%lx %7s %lx %15s %lu", &s, &e, p, &off, dev, &i) == 6 && s == (unsigned long)addr) {
            *end = e;
            strcpy(perms, p);
            *ino = i;
            return 1;
        }
    }
    return 0;
}

static void check_attached(int maps, void *addr, size_t size, const char *want_perms, int shmid, const char *name) {
    unsigned long end = 0, ino = 0;
    char perms[8] = "";
    if (!maps_line_at(maps, addr, &end, perms, &ino)) {
        CHECK(0, "segment %s is no longer attached at %p", name, addr);
        return;
    }
    unsigned long pages = (size + 4095) / 4096 * 4096;
    CHECK(end - (unsigned long)addr == pages, "segment %s at %p spans %lu bytes, want %lu", name, addr,
          end - (unsigned long)addr, pages);
    CHECK(strcmp(perms, want_perms) == 0, "segment %s at %p is %s, want %s", name, addr, perms, want_perms);
    CHECK(ino == (unsigned long)shmid, "segment %s at %p maps shmid %lu, want %d", name, addr, ino, shmid);
}

static void mode_shmaddr(void) {
    int maps = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    int e = shmget(0x0e0e, E_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    int f = shmget(IPC_PRIVATE, F_SIZE, IPC_CREAT | 0600);
    if (maps < 0 || e < 0 || f < 0) {
        CHECK(0, "setup: %s", strerror(errno));
        finish();
        return;
    }
    unsigned char *a = shmat(e, E_ADDR, 0);
    unsigned char *a2 = shmat(e, E_ADDR2, SHM_RDONLY);
    unsigned char *b = shmat(f, F_ADDR, 0);
    if (a != E_ADDR || a2 != E_ADDR2 || b != F_ADDR) {
        CHECK(0, "shmat at chosen addresses gave %p %p %p", a, a2, b);
        finish();
        return;
    }
    for (size_t i = 0; i < E_SIZE; ++i) a[i] = pattern(5, i);
    b[0] = 0x77;
    /* The byte past F's end, inside its page, is the segment's too (zero, writable). */
    b[100] = 0x66;
    put_file("/shared/ready", "READY\n");
    wait_usr1();
    check_attached(maps, E_ADDR, E_SIZE, "rw-s", e, "E");
    check_attached(maps, E_ADDR2, E_SIZE, "r--s", e, "E (second attachment)");
    check_attached(maps, F_ADDR, F_SIZE, "rw-s", f, "F");
    for (size_t i = 0; i < E_SIZE; ++i) CHECK(a2[i] == pattern(5, i), "E[%zu] = %#x through the second attachment", i, a2[i]);
    /* volatile: the compiler knows the two addresses differ and would not read the byte again */
    ((volatile unsigned char *)a)[E_SIZE - 1] = 0x42;
    CHECK(((volatile unsigned char *)a2)[E_SIZE - 1] == 0x42, "a write through E's first attachment is not seen through the second");
    CHECK(b[0] == 0x77 && b[100] == 0x66, "F holds %#x %#x", b[0], b[100]);
    struct shmid_ds ds;
    CHECK(shmctl(e, IPC_STAT, &ds) == 0 && ds.shm_segsz == E_SIZE && ds.shm_nattch == 2, "E size %zu nattch %lu",
          (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
    CHECK(shmctl(f, IPC_STAT, &ds) == 0 && ds.shm_segsz == F_SIZE && ds.shm_nattch == 1, "F size %zu nattch %lu",
          (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch);
    finish();
}

/* ---- sysctl ---- */
/* The values the test (ipc_sysctl.sh) writes into the container's IPC namespace before the checkpoint. */
static const struct {
    const char *path, *want;
} sysctls[] = {
    {"/proc/sys/kernel/msgmax", "4000"},         {"/proc/sys/kernel/msgmnb", "7000"},
    {"/proc/sys/kernel/msgmni", "50"},           {"/proc/sys/kernel/shmmax", "67108864"},
    {"/proc/sys/kernel/shmall", "100000"},       {"/proc/sys/kernel/shmmni", "300"},
    {"/proc/sys/kernel/shm_rmid_forced", "1"},   {"/proc/sys/kernel/sem", "100\t2000\t50\t64"},
    {"/proc/sys/fs/mqueue/msg_max", "20"},       {"/proc/sys/fs/mqueue/msgsize_max", "10000"},
    {"/proc/sys/fs/mqueue/msg_default", "5"},    {"/proc/sys/fs/mqueue/msgsize_default", "1000"},
    {"/proc/sys/fs/mqueue/queues_max", "77"},
};

static void read_text(const char *path, char *buf, size_t size) {
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
}

static void mode_sysctl(void) {
    /* Ready at once: the test sets the values from outside, then checkpoints. */
    put_file("/shared/ready", "READY\n");
    wait_usr1();
    char got[128];
    for (size_t i = 0; i < sizeof sysctls / sizeof sysctls[0]; ++i) {
        read_text(sysctls[i].path, got, sizeof got);
        CHECK(strcmp(got, sysctls[i].want) == 0, "%s reads \"%s\" after the restore, want \"%s\"", sysctls[i].path, got,
              sysctls[i].want);
    }
    /* The values are in force: a new queue gets msgmnb as its byte limit, a POSIX queue the defaults. */
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct msqid_ds ds;
    CHECK(q >= 0 && msgctl(q, IPC_STAT, &ds) == 0 && ds.msg_qbytes == 7000, "a new queue's msg_qbytes is %lu, want 7000",
          q >= 0 ? (unsigned long)ds.msg_qbytes : 0UL);
    mqd_t m = mq_open("/defaults", O_CREAT | O_RDWR, 0600, NULL);
    struct mq_attr a;
    CHECK(m != (mqd_t)-1 && mq_getattr(m, &a) == 0 && a.mq_maxmsg == 5 && a.mq_msgsize == 1000,
          "a new POSIX queue has maxmsg %ld msgsize %ld, want 5 1000", m != (mqd_t)-1 ? a.mq_maxmsg : -1L,
          m != (mqd_t)-1 ? a.mq_msgsize : -1L);
    finish();
}

/* ---- leak ---- */
static void mode_leak(void) {
    int id = shmget(0x4c4b, 4096, IPC_CREAT | IPC_EXCL | 0600);
    unsigned char *p = id < 0 ? (void *)-1 : shmat(id, NULL, 0);
    if (p == (void *)-1) {
        CHECK(0, "shm: %s", strerror(errno));
        finish();
        return;
    }
    memset(p, 0x5a, 4096);
    put_file("/shared/ready", "READY\n");
    /* Verified on every SIGUSR1: the test checks before and after a restore. */
    for (;;) {
        wait_usr1();
        got_usr1 = 0;
        for (int i = 0; i < 4096; ++i) CHECK(p[i] == 0x5a, "leak segment byte %d = %#x", i, p[i]);
        finish();
    }
}

static int mode_attach(const char *keytext, const char *back) {
    int id = shmget((key_t)strtol(keytext, NULL, 0), 0, 0);
    if (id < 0 || shmat(id, NULL, SHM_RDONLY) == (void *)-1) {
        perror("attach");
        return 1;
    }
    /* Back to our own IPC namespace: only the attachment links us to the container. */
    int fd = back ? open(back, O_RDONLY | O_CLOEXEC) : -1;
    if (back && (fd < 0 || setns(fd, CLONE_NEWIPC) != 0)) {
        perror("setns back");
        return 1;
    }
    printf("%d %d\n", (int)getpid(), id);
    fflush(stdout);
    for (;;) pause();
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: ipcwork shm|msg|sem|mq|leak|attach KEY\n");
        return 2;
    }
    if (strcmp(argv[1], "attach") == 0) return argc > 2 ? mode_attach(argv[2], argc > 3 ? argv[3] : NULL) : 2;
    install_usr1();
    if (strcmp(argv[1], "shm") == 0) mode_shm();
    else if (strcmp(argv[1], "msg") == 0) mode_msg();
    else if (strcmp(argv[1], "sem") == 0) mode_sem();
    else if (strcmp(argv[1], "mq") == 0) mode_mq();
    else if (strcmp(argv[1], "leak") == 0) mode_leak();
    else if (strcmp(argv[1], "mqfd") == 0) mode_mqfd();
    else if (strcmp(argv[1], "shmaddr") == 0) mode_shmaddr();
    else if (strcmp(argv[1], "sysctl") == 0) mode_sysctl();
    else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    /* Stay alive for the test to collect the result. */
    for (;;) pause();
}
