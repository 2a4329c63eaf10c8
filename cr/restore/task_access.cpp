#include "cr/restore/task_access.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cr/files/path_in_root.hpp"
#include "cr/memory/vma.hpp"
#include "cr/ns/id_map.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr {
namespace {

int32_t inner_pid(const ProcessState& s) { return s.core.ids.ns_pid[s.core.ids.ns_depth - 1]; }

uint32_t to_host(const ns::IdMap& map, uint32_t id, const char* what, const ProcessState& p) {
    if (auto host = ns::id_to_host(map, id)) return *host;
    fail("process {} of the image has {} {}, which the container's user namespace does not map", inner_pid(p), what, id);
}

}  // namespace

files::TaskCredentials host_credentials(const ProcessState& p, pid_t userns_of) {
    const auto& c = p.core.creds;
    files::TaskCredentials out;
    for (int i = 0; i < 4; ++i) {
        out.uid[i] = c.uid[i];
        out.gid[i] = c.gid[i];
    }
    out.groups = p.groups;
    out.cap_effective = c.cap_effective;
    out.cap_permitted = c.cap_permitted;
    if (userns_of > 0) {
        auto uids = ns::read_id_map(userns_of, "uid_map"), gids = ns::read_id_map(userns_of, "gid_map");
        for (int i = 0; i < 4; ++i) {
            out.uid[i] = to_host(uids, c.uid[i], "uid", p);
            out.gid[i] = to_host(gids, c.gid[i], "gid", p);
        }
        for (auto& g : out.groups) g = to_host(gids, g, "supplementary group", p);
        out.cap_effective = out.cap_permitted = 0;
    }
    return out;
}

void check_task_paths(const ProcessState& p, files::AsTask& as, int root_fd) {
    const int32_t pid = inner_pid(p);
    const std::string who = as.credentials().describe();
    as.run([&] {
        UniqueFd cwd = files::open_in_root(root_fd, p.cwd, O_PATH | O_DIRECTORY);
        if (!cwd || ::fchdir(cwd.get()) != 0)
            throw_errno("process {} of the image: its working directory {} is not one its task may enter ({})", pid, p.cwd, who);
        for (const auto& v : p.vmas) {
            if (!v.is_file() || v.rec.deleted) continue;  // memfds are the task's own fds (cr/files)
            // The access the task's own open gets when its memory is mapped (cr/memory).
            const bool shared_writable = v.rec.shared && (v.rec.vm_flags & vm_maywrite);
            UniqueFd f = files::open_in_root(root_fd, v.path, shared_writable ? O_RDWR : O_RDONLY);
            if (!f)
                throw_errno("process {} of the image maps {} at {:#x}{}: its task may not open it {} ({})", pid, v.path,
                            v.rec.start, shared_writable ? " shared and writable" : "",
                            shared_writable ? "for reading and writing" : "for reading", who);
        }
    });
    if (p.root.empty() || p.root == "/") return;
    // chroot moves the thread's root: a thread of its own, dropped after.
    files::AsTask chroot_check(as.credentials());
    chroot_check.run([&] {
        UniqueFd dir = files::open_in_root(root_fd, p.root, O_PATH | O_DIRECTORY);
        if (!dir || ::fchdir(dir.get()) != 0 || ::chroot(".") != 0)
            throw_errno("process {} of the image: its root {} is not one its task may chroot to ({})", pid, p.root, who);
    });
}

}  // namespace myrt::cr
