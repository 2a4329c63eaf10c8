#pragma once
// What the SysV IPC dump, restore and image parser share: semctl's argument
// union (semctl(2): the caller must declare it) and a segment's size in
// whole pages, as the kernel maps it.
#include <sys/sem.h>

#include <cstdint>

#include "cr/memory/pagemap.hpp"

namespace myrt::cr::ipc {

union semun_arg {
    int val;
    struct semid_ds* buf;
    unsigned short* array;
    struct seminfo* info;
};

constexpr uint64_t page_round(uint64_t n) { return (n + kPageSize - 1) & ~(kPageSize - 1); }

}  // namespace myrt::cr::ipc
