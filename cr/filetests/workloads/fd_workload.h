/* The page the files workload shares with its test (a MAP_SHARED file, so it
 * survives the workload's restore). */
#pragma once
#define FD_WORKLOAD_IN_FLIGHT 300000
struct fd_page {
    volatile int ready;
    volatile int go;
    volatile int done;
    volatile int result; /* 1 PASS, 2 FAIL (msg says what) */
    volatile char msg[256];
};
