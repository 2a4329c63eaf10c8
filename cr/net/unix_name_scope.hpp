#pragma once
// Where a socket's path name is resolved while the restore rebuilds it. A
// socket's name is the string bind() was given, resolved against the binder's
// root and cwd; so:
// - an absolute path still bound at checkpoint: the container's root, as is;
// - a relative path still bound: the directory it was bound in (recorded);
// - a path deleted since bind (gone, replaced by a FIFO or a file, its
//   directory removed and made again): a private root of the socket's own on
//   a detached tmpfs, so bind gives it the same name without touching what
//   is at that path in the container now; the scratch file is removed at the
//   end and the socket stays bound to a deleted path, as it was.
// Connects and sends to such a name run in the same scope.
#include "util/fd.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace myrt::cr::net {

struct NameScope {
    enum class Kind { container_root, directory, scratch } kind = Kind::container_root;
    std::string directory;  // Kind::directory: absolute, in the container
    uint64_t slot = 0;      // Kind::scratch: the private root's number
};

// The detached tmpfs the private roots live on. Made before the restore's
// thread joins the container's namespaces; nothing else can reach it.
class ScratchRoots {
public:
    ScratchRoots();
    int fd() const { return mnt_.get(); }

private:
    UniqueFd mnt_;
};

// Runs `fn` with this thread's root and cwd switched to `scope` (the thread
// has its own fs context), then switches back, also when `fn` throws.
// A scratch scope's parent directories of `name` are made first.
void in_name_scope(const NameScope& scope, const ScratchRoots& scratch, const std::string& name, const std::function<void()>& fn);

}  // namespace myrt::cr::net
