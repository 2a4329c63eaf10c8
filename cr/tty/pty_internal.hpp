#pragma once
// Shared between the master and slave kinds: the pair is dumped once, from
// whichever end comes first, and restored once.
#include "cr/files/files.hpp"
#include "cr/tty/devpts.hpp"
#include "cr/tty/pty.hpp"

namespace myrt::cr::tty {

inline constexpr uint32_t pty_master_input_max = 4096 + 65536;  // N_TTY buffer + the tty layer's flip buffers

// Checkpoint: throws when the fd cannot be restored (hung up, other ldisc...).
void check_pty_fd(pid_t pid, const files::OpenFd& fd, files::DumpContext& ctx, bool master);
// Checkpoint: the pair (once) and the PTY_FILE record of this description.
void dump_pty_fd(pid_t pid, const files::OpenFd& fd, uint64_t objref, files::DumpContext& ctx,
                 image::RecordWriter& w, bool master);
// Restore: the pair (when its records come first) and this description.
UniqueFd restore_pty_fd(image::RecordReader& r, files::RestoreContext& ctx, uint64_t objref,
                        const image::FileRecord& rec, bool master);
// Restore: the controlling terminal and foreground group, in the session leader.
void pty_after_install(pid_t pid, Injector& inj, files::RestoreContext& ctx, const files::FdEntry& fd);

}  // namespace myrt::cr::tty
