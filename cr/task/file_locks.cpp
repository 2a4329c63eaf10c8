#include "cr/task/file_locks.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/syscall.h>

#include <algorithm>
#include <sstream>

#include "cr/ptrace/inject.hpp"
#include "cr/ptrace/proc_scan.hpp"
#include "cr/task/proc_status.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

std::vector<int> open_fds(pid_t pid) {
    std::vector<int> fds;
    auto dir = fmt::format("/proc/{}/fd", pid);
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw_errno("opendir {}", dir);
    while (auto* e = ::readdir(d))
        if (e->d_name[0] != '.') fds.push_back(std::atoi(e->d_name));
    ::closedir(d);
    std::sort(fds.begin(), fds.end());
    return fds;
}

const char* kind_name(uint32_t kind) {
    switch (static_cast<FileLockKind>(kind)) {
        case FileLockKind::flock: return "FLOCK";
        case FileLockKind::posix: return "POSIX";
        case FileLockKind::ofd: return "OFDLCK";
    }
    return "?";
}

}  // namespace

FdLockLine parse_fd_lock_line(const std::string& line) {
    // "1: POSIX  ADVISORY  WRITE 123 00:2d:456 0 EOF", "2: FLOCK  ADVISORY  READ ...",
    // "3: LEASE  ACTIVE    READ ...": id, kind, mode or lease state, type, pid, dev:ino, start, end.
    std::istringstream in(line);
    std::string id, kind, mode, type, pid, devino, start, end;
    if (!(in >> id >> kind >> mode >> type >> pid >> devino >> start >> end))
        fail("cannot read the fdinfo lock line \"{}\"", line);
    FdLockLine out;
    out.kind = kind;
    out.type = type;
    out.start = std::stoll(start);
    out.end = end == "EOF" ? -1 : std::stoll(end);
    return out;
}

std::string describe_lock(const FileLockRecord& l) {
    return fmt::format("{} {} lock on bytes {}..{}", kind_name(l.kind), l.write ? "WRITE" : "READ", l.start,
                       l.end < 0 ? std::string("EOF") : std::to_string(l.end));
}

std::vector<FileLockRecord> dump_file_locks(pid_t pid, bool allowed) {
    std::vector<FileLockRecord> out;
    for (int fd : open_fds(pid)) {
        std::string info;
        try {
            info = read_proc_file(fmt::format("/proc/{}/fdinfo/{}", pid, fd));
        } catch (const std::exception&) {
            continue;  // closed meanwhile (the task is stopped: not by itself)
        }
        std::istringstream in(info);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("lock:", 0) != 0) continue;
            auto parsed = parse_fd_lock_line(line.substr(5));
            std::string file;
            try {
                file = read_link(fmt::format("/proc/{}/fd/{}", pid, fd));
            } catch (const std::exception&) {
                file = "?";
            }
            if (parsed.kind == "LEASE" || parsed.kind == "DELEG")
                fail("not supported yet: process {} holds a file lease ({} {}) on {} through fd {}", pid, parsed.kind,
                     parsed.type, file, fd);
            FileLockRecord r{};
            r.fd = fd;
            if (parsed.kind == "FLOCK") r.kind = static_cast<uint32_t>(FileLockKind::flock);
            else if (parsed.kind == "POSIX") r.kind = static_cast<uint32_t>(FileLockKind::posix);
            else if (parsed.kind == "OFDLCK") r.kind = static_cast<uint32_t>(FileLockKind::ofd);
            else fail("not supported yet: process {} holds a {} lock on {} through fd {}", pid, parsed.kind, file, fd);
            if (parsed.type != "READ" && parsed.type != "WRITE")
                fail("not supported yet: process {} holds a {} lock of type {} on {} through fd {}", pid, parsed.kind,
                     parsed.type, file, fd);
            r.write = parsed.type == "WRITE" ? 1 : 0;
            r.start = parsed.start;
            r.end = parsed.end;
            if (!allowed)
                fail("process {} holds a {} on {} through fd {}: file locks are saved only with --file-locks", pid,
                     describe_lock(r), file, fd);
            out.push_back(r);
        }
    }
    return out;
}

void restore_file_locks(pid_t tid, const std::vector<FileLockRecord>& locks) {
    if (locks.empty()) return;
    Injector inj(tid);
    RemoteScratch scratch(inj, 4096);
    for (const auto& l : locks) {
        auto what = fmt::format("taking the {} again through fd {} of process {}", describe_lock(l), l.fd, tid);
        if (l.kind == static_cast<uint32_t>(FileLockKind::flock)) {
            inj.checked(what, SYS_flock, static_cast<uint64_t>(l.fd), (l.write ? LOCK_EX : LOCK_SH) | LOCK_NB);
            continue;
        }
        struct flock fl {};
        fl.l_type = static_cast<short>(l.write ? F_WRLCK : F_RDLCK);
        fl.l_whence = SEEK_SET;
        fl.l_start = l.start;
        fl.l_len = l.end < 0 ? 0 : l.end - l.start + 1;
        scratch.put(0, fl);
        int cmd = l.kind == static_cast<uint32_t>(FileLockKind::ofd) ? F_OFD_SETLK : F_SETLK;
        inj.checked(what, SYS_fcntl, static_cast<uint64_t>(l.fd), static_cast<uint64_t>(cmd), scratch.addr());
    }
    scratch.release();
    inj.finish();
}

}  // namespace myrt::cr
