#pragma once
// One tty end's state as user space can read and set it: termios (termios2,
// all 32 flag bits and both speeds), the window size, the line discipline
// and the exclusive flag; and its unread input, drained and put back through
// TIOCSTI. Kept apart from <termios.h>: this file's .cpp uses the kernel's
// struct termios2, which glibc's header would clash with.
#include "cr/image/records.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace myrt::cr::tty {

// termios, window size, ldisc and TIOCGEXCL of `fd` into `rec` (end, input_len untouched).
// `what` names the tty in errors. Throws with errno EIO when the description is hung up.
void read_state(int fd, image::TtyRecord& rec, const std::string& what);
// termios and window size (the window size only when `with_winsize`), and the exclusive flag.
void apply_state(int fd, const image::TtyRecord& rec, bool with_winsize, const std::string& what);

// Reads every byte waiting to be read on this end, consuming it (the tty is
// switched to non-canonical, VMIN=VTIME=0 for the read, then back).
std::vector<uint8_t> drain_input(int fd, const std::string& what);
// The same for a pty master, whose termios ioctls act on the slave (its own
// termios is the driver's raw one): O_NONBLOCK on the description for the
// read (the tasks are stopped), then its flags as they were.
std::vector<uint8_t> drain_master(int fd, const std::string& what);
// Puts `data` back as this end's unread input (TIOCSTI, one byte a call)
// under a termios that keeps the dumped canonical mode but echoes nothing
// and translates nothing, then sets `rec`'s termios again. In canonical mode
// the line boundaries come back where the newlines and EOL characters are.
void refill_input(int fd, const image::TtyRecord& rec, const std::vector<uint8_t>& data, const std::string& what);

// Small ioctls on a pty master.
uint32_t pty_index(int master);           // TIOCGPTN
bool pty_locked(int master);              // TIOCGPTLCK
void set_pty_locked(int master, bool locked);
bool packet_mode(int master);             // TIOCGPKT
void set_packet_mode(int master, bool on);
// TIOCGPTPEER: a new description of the slave (O_NOCTTY added).
int open_peer(int master, int flags);
// Whether `fd` is a terminal whose ioctls answer (false: hung up, EIO).
bool hung_up(int fd);
// TIOCVHANGUP (CAP_SYS_ADMIN): hangs up every description of the tty.
void hang_up(int fd, const std::string& what);
// TIOCSCTTY / TIOCSPGRP / TIOCGPGRP / TIOCGSID numbers for injected calls.
unsigned long ioctl_sctty();
unsigned long ioctl_spgrp();

}  // namespace myrt::cr::tty
