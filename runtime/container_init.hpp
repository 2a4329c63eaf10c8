#pragma once
// The container's first process, from clone until execve of process.args.
#include <string>

#include "runtime/namespaces.hpp"
#include "runtime/sync_channel.hpp"
#include "spec/config.hpp"

namespace myrt::cgroup {
class Cgroup;
}

namespace myrt::runtime {

class BindSources;

struct InitContext {
    const spec::Config* config = nullptr;
    std::string id;
    std::string rootfs;
    NamespacePlan* namespaces = nullptr;
    SyncChannel* channel = nullptr;
    int exec_fifo = -1;        // O_PATH fd of the fifo, reopened for writing after pivot_root
    int console_socket = -1;
    bool channel_read_after_created = false;  // `run` with poststart hooks watches the exec
    bool proxied_terminal = false;  // the runtime copies the pty to its own stdio (no --console-socket)
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    int listen_fds = 0;        // socket activation (listen_fds_of), before the preserved fds
    bool restore_placeholder = false;
    const cgroup::Cgroup* cgroup = nullptr;
    const BindSources* bind_sources = nullptr;  // bind sources opened on the host side, or null
};

// Never returns: execs the container's program or exits after reporting an
// error to the runtime through the channel.
[[noreturn]] void run_container_init(InitContext& ctx);

}  // namespace myrt::runtime
