/* What every self-checking C/R workload shares: files in /shared replaced
 * whole (written to a temp file, then renamed, so a reader or a checkpoint
 * never sees one half-written), and the SIGUSR1 flag that starts the check
 * after a restore. Included by each static workload (crwork.c, taskwork.c...). */
#ifndef MYRT_CR_WORKLOAD_H
#define MYRT_CR_WORKLOAD_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void put_file(const char *path, const char *text) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t n = write(fd, text, strlen(text));
    (void)n;
    close(fd);
    rename(tmp, path);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) {
    (void)sig;
    got_usr1 = 1;
}

/* SIGUSR1 sets got_usr1 without SA_RESTART: a sleep the workload is in ends early. */
static inline void install_usr1(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
}

#endif
