#pragma once
// The command line: global options, and one file per command (crun's layout),
// each registering a CLI11 subcommand and returning the function that runs it.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "runtime/container_state.hpp"

namespace myrt::cli {

struct GlobalOptions {
    std::string root;          // --root (default from the site config, else /run/myrt)
    bool root_given = false;   // --root on the command line: it must exist for `list`
    std::string log;
    std::string log_format;
    bool debug = false;
    bool systemd_cgroup = false;
    std::string criu;          // accepted for runc compatibility, unused
    std::string config_file;   // --config (default /etc/myrt/myrt.yaml)
    std::string cgroup_parent = "/myrt";
    runtime::StateStore store() const { return runtime::StateStore(root); }
};

using Runner = std::function<int()>;

// Each registers its subcommand on `app` and returns what runs it.
Runner add_create(CLI::App& app, GlobalOptions& g);
Runner add_start(CLI::App& app, GlobalOptions& g);
Runner add_run(CLI::App& app, GlobalOptions& g);
Runner add_state(CLI::App& app, GlobalOptions& g);
Runner add_kill(CLI::App& app, GlobalOptions& g);
Runner add_delete(CLI::App& app, GlobalOptions& g);
Runner add_list(CLI::App& app, GlobalOptions& g);
Runner add_exec(CLI::App& app, GlobalOptions& g);
Runner add_ps(CLI::App& app, GlobalOptions& g);
Runner add_pause(CLI::App& app, GlobalOptions& g);
Runner add_resume(CLI::App& app, GlobalOptions& g);
Runner add_update(CLI::App& app, GlobalOptions& g);
Runner add_spec(CLI::App& app, GlobalOptions& g);
Runner add_features(CLI::App& app, GlobalOptions& g);
Runner add_checkpoint(CLI::App& app, GlobalOptions& g);
Runner add_restore(CLI::App& app, GlobalOptions& g);
Runner add_image(CLI::App& app, GlobalOptions& g);
Runner add_events(CLI::App& app, GlobalOptions& g);

// runc accepts Go-style single-dash long options (containerd sends
// `-no-subreaper`): rewrite `-name[=v]` to `--name[=v]` when `name` is a long
// option of the command, up to the command's first positional argument.
std::vector<std::string> normalize_args(CLI::App& app, const std::vector<std::string>& args);

}  // namespace myrt::cli
