#include <fcntl.h>
#include <unistd.h>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/fs_util.hpp"
#include "spec/config.hpp"
#include "util/error.hpp"

namespace myrt::cli {
Runner add_spec(CLI::App& app, GlobalOptions&) {
    auto* c = app.add_subcommand("spec", "write a default config.json");
    auto bundle = std::make_shared<std::string>(".");
    auto rootless = std::make_shared<bool>(false);
    c->add_option("-b,--bundle", *bundle, "directory to write config.json in");
    c->add_flag("--rootless", *rootless, "a config for a container in a user namespace");
    return [bundle, rootless] {
        std::string path = runtime::absolute_path(*bundle) + "/config.json";
        if (runtime::exists(path)) fail("File {} exists. Remove it first", path);
        // As runc: a cgroup namespace only where the host is cgroup v2 alone.
        bool cgroup_ns = cgroup::detect_layout() == cgroup::Layout::v2;
        runtime::write_file_atomic(path, spec::default_spec(*rootless, cgroup_ns).dump(4) + "\n", 0644);
        return 0;
    };
}
}  // namespace myrt::cli
