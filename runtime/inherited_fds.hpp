#pragma once
// Descriptors the caller left open to myrt (a test harness's log file, a shell's
// pipes). Only the preserved ones (--preserve-fds, LISTEN_FDS) are passed on:
// the others would reach the container's init, which is a clone and not an
// exec, so close-on-exec does not stop them (runc's init never gets them).

namespace myrt::runtime {

// Records the open descriptors >= 3; call first thing, before myrt opens its own.
void note_inherited_fds();

// Closes the recorded descriptors >= `first_not_passed` (3 + listen fds + preserved fds).
void close_inherited_fds(int first_not_passed);

}  // namespace myrt::runtime
