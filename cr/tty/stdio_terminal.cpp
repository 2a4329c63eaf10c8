// The terminal at the container's stdio: the console the runtime made (a pty
// of the container's own devpts), or a terminal of the caller (--shell-job).
#include "cr/tty/devpts.hpp"
#include "cr/tty/pty.hpp"

#include "cr/objhash/objhash.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

namespace myrt::cr::tty {

bool StdioTerminal::is_object(const objhash::Object& o) const {
    return present && pty && o.key.kind == objhash::kind::pty && o.key.dev == devpts_dev && o.key.ino == index;
}

StdioTerminal find_stdio_terminal(pid_t init) {
    StdioTerminal t;
    for (int fd = 0; fd <= 2; ++fd) {
        std::string path = fmt::format("/proc/{}/fd/{}", init, fd);
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) continue;
        char buf[4096];
        ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
        std::string link = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
        auto id = identify(init, fd, st, link);
        bool tty_dev = id || major(st.st_rdev) == 4 || (major(st.st_rdev) == 5 && minor(st.st_rdev) == 1);
        if (!tty_dev) continue;  // /dev/null and friends
        t.present = true;
        t.fd = fd;
        t.dev = st.st_dev;
        t.ino = st.st_ino;
        t.rdev = st.st_rdev;
        t.link = link;
        if (id && !id->master) {
            t.pty = true;
            t.devpts_dev = id->devpts_dev;
            t.index = id->index;
            // The console: its devpts is one the container mounts itself.
            auto mounts = mountinfo(init);
            t.in_container = std::any_of(mounts.begin(), mounts.end(), [&](const MountEntry& m) {
                return m.fstype == "devpts" && m.dev == id->devpts_dev && m.id == id->mnt_id;
            });
        }
        return t;
    }
    return t;
}

}  // namespace myrt::cr::tty
