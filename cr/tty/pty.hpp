#pragma once
// UNIX98 pseudo terminals and the container console (docs/cr-tty.md).
// The drivers register the two fd kinds and the leak kind
// (cr/driver/fd_kinds_all.cpp); checkpoint.cpp asks for the terminal at
// the container's stdio, which decides between the console, a --shell-job
// terminal, or none.
#include "cr/files/fd_kind_ops.hpp"
#include "cr/objhash/leak_kinds.hpp"

#include <sys/types.h>

#include <memory>
#include <string>

namespace myrt::cr::tty {

std::unique_ptr<files::FdKindOps> make_pty_master_kind();
std::unique_ptr<files::FdKindOps> make_pty_slave_kind();
// objhash kind "pty": both ends of a pair are one object, so a process
// outside holding either end is a leak (the console excepted by the driver).
std::unique_ptr<objhash::KindOps> make_pty_leak_kind();

// The terminal at the container init's fds 0-2, if any.
struct StdioTerminal {
    bool present = false;
    bool in_container = false;  // a pty of a devpts the container mounts: the console
    int fd = -1;                // the first of 0-2 that is it
    dev_t dev = 0;              // stat of that fd
    ino_t ino = 0;
    dev_t rdev = 0;
    uint64_t devpts_dev = 0;    // pty slaves only
    uint32_t index = 0;
    bool pty = false;
    std::string link;
    // The console's own fd (dev/ino): dumped as a pty, not inherited.
    bool is_console_file(dev_t d, ino_t i) const { return present && in_container && d == dev && i == ino; }
    // The leak detector's pty object for this terminal (the runtime's console, or the caller's terminal).
    bool is_object(const objhash::Object& o) const;
};
StdioTerminal find_stdio_terminal(pid_t init);

// Restore: session leader `sid` (its pid in the container) has just made
// its session, before any member is forked: the pty whose session it was
// becomes its controlling terminal, so members inherit it at fork.
void make_controlling_terminal(pid_t pid, int32_t sid, files::RestoreContext& ctx);

}  // namespace myrt::cr::tty
