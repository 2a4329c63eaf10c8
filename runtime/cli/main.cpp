// myrt: the executable is glue over the runtime and C/R libraries.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <algorithm>
#include <map>

#include "myrt_commit.hpp"
#include "myrt_version.hpp"
#include "cr/checkpoint/dirty_holder.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/inherited_fds.hpp"
#include "runtime/rootless.hpp"
#include "spec/site_config.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

using namespace myrt;

namespace {

log::Level level_from(const std::string& s) {
    if (s == "debug") return log::Level::debug;
    if (s == "warning" || s == "warn") return log::Level::warning;
    if (s == "error") return log::Level::error;
    return log::Level::info;
}

// conmon wants the runtime's errors on stderr, containerd in the JSON log.
int report(const std::string& msg) {
    log::error("{}", msg);
    return 1;
}

// The first argument that is not a global option (or its value).
std::string command_name(int argc, char** argv) {
    static const char* valued[] = {"--root", "--log", "--log-format", "--criu", "--rootless", "--config",
                                   "-root", "-log", "-log-format", "-criu", "-rootless", "-config"};
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.empty() || a[0] != '-') return a;
        if (a.find('=') != std::string::npos) continue;
        for (const char* v : valued)
            if (a == v) {
                ++i;
                break;
            }
    }
    return {};
}

// runc's help layout (urfave/cli), which callers and suites read: "NAME:" and
// "   PROG [COMMAND] - description" first, then CLI11's usage and options.
class RuncStyleHelp : public CLI::Formatter {
public:
    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
        if (mode == CLI::AppFormatMode::Sub) return CLI::Formatter::make_help(app, name, mode);
        std::string out = "NAME:\n   " + name + " - " + app->get_description() + "\n\nUSAGE:\n";
        std::string rest = make_usage(app, name);
        if (!rest.empty() && rest.front() == '\n') rest.erase(0, 1);
        if (rest.rfind("Usage: ", 0) == 0) rest.replace(0, 7, "   ");
        out += rest + make_positionals(app) + make_groups(app, mode) + make_subcommands(app, mode) + "\n" + make_footer(app);
        return out;
    }
};

}  // namespace

int main(int argc, char** argv) {
    // The holder of a pre-dump's dirty tracking (cr/checkpoint/dirty_holder.hpp), started by checkpoint itself.
    if (argc == 2 && std::string_view(argv[1]) == cr::kDirtyHolderCommand) return cr::run_dirty_holder();
    {
        // Before myrt opens anything of its own (the --log file).
        std::string cmd = command_name(argc, argv);
        if (cmd == "create" || cmd == "run" || cmd == "exec") runtime::note_inherited_fds();
    }
    // Named as invoked, as runc's help and version are (installed as `runc`, it says runc).
    std::string prog = argc > 0 && argv[0][0] ? argv[0] : "myrt";
    if (auto slash = prog.rfind('/'); slash != std::string::npos) prog.erase(0, slash + 1);
    const std::string version = prog + " version " + MYRT_VERSION + "\ncommit: " + MYRT_COMMIT + "\nspec: " + MYRT_OCI_VERSION;
    // `myrt --version` alone, answered before any command is registered: CLI11
    // reports the flag by throwing, and the first exception a static binary
    // throws sorts every FDE of its unwind tables (most of the command's 6 ms).
    if (argc == 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
        std::cout << version << '\n';
        return 0;
    }
    CLI::App app{"Open Container Initiative runtime with built-in checkpoint and restore", prog};
    app.formatter(std::make_shared<RuncStyleHelp>());
    app.require_subcommand(0, 1);
    app.set_version_flag("-v,--version", version);
    cli::GlobalOptions g;
    bool rootless_ignored = false;
    std::string rootless;
    app.add_option("--root", g.root, "root directory for container state (default /run/myrt; $XDG_RUNTIME_DIR/myrt for a non-root user)");
    app.add_option("--log", g.log, "log file (default: stderr)");
    app.add_option("--log-format", g.log_format, "log format: text or json")->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", g.debug, "log debug messages");
    app.add_flag("--systemd-cgroup", g.systemd_cgroup, "manage cgroups through systemd");
    app.add_option("--criu", g.criu, "accepted for runc compatibility; myrt has its own checkpoint engine");
    app.add_option("--rootless", rootless, "accepted for runc compatibility (true|false|auto)");
    app.add_option("--config", g.config_file, "runtime configuration file (default /etc/myrt/myrt.yaml)");
    (void)rootless_ignored;

    // Only the command being run is registered (every command for help or an
    // unknown name): each one costs allocations on every start of myrt.
    using Adder = cli::Runner (*)(CLI::App&, cli::GlobalOptions&);
    static const std::pair<const char*, Adder> commands[] = {
        {"create", cli::add_create},     {"start", cli::add_start},   {"run", cli::add_run},
        {"state", cli::add_state},       {"kill", cli::add_kill},     {"delete", cli::add_delete},
        {"list", cli::add_list},         {"exec", cli::add_exec},     {"ps", cli::add_ps},
        {"pause", cli::add_pause},       {"resume", cli::add_resume}, {"update", cli::add_update},
        {"spec", cli::add_spec},         {"features", cli::add_features},
        {"checkpoint", cli::add_checkpoint}, {"restore", cli::add_restore}, {"image", cli::add_image}, {"events", cli::add_events}};
    std::string wanted = command_name(argc, argv);
    bool known = std::any_of(std::begin(commands), std::end(commands), [&](auto& c) { return wanted == c.first; });
    std::map<std::string, cli::Runner> runners;
    for (auto& [name, adder] : commands)
        if (!known || wanted == name) runners[name] = adder(app, g);

    std::vector<std::string> args(argv + 1, argv + argc);
    // runc: help for a command that does not exist is an error, not the global help.
    if (!known && !wanted.empty() && std::any_of(args.begin(), args.end(), [](auto& a) { return a == "-h" || a == "--help"; })) {
        std::cerr << "No help topic for '" << wanted << "'\n";
        return 3;
    }
    args = cli::normalize_args(app, args);
    std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 1;
    }

    try {
        bool explicit_config = !g.config_file.empty();
        spec::SiteConfig site = spec::load_site_config(explicit_config ? g.config_file : "/etc/myrt/myrt.yaml", explicit_config);
        // An unprivileged caller cannot write the system's state root: its own, as runc's.
        g.root_given = !g.root.empty();
        if (g.root.empty()) g.root = runtime::rootless_state_root();
        if (g.root.empty()) g.root = site.root.empty() ? "/run/myrt" : site.root;
        if (g.log_format.empty()) g.log_format = site.log_format.empty() ? "text" : site.log_format;
        if (!site.cgroup_parent.empty()) g.cgroup_parent = site.cgroup_parent;
        g.root = runtime::absolute_path(g.root);
        log::configure(g.log, g.log_format == "json" ? log::Format::json : log::Format::text,
                       g.debug ? log::Level::debug : level_from(site.log_level.empty() ? "info" : site.log_level));
        if (g.systemd_cgroup) {
            struct stat st;
            if (::stat("/run/systemd/private", &st) != 0)
                fail("--systemd-cgroup: systemd is not reachable (no /run/systemd/private); use the cgroupfs driver");
            fail("--systemd-cgroup: the systemd cgroup driver is not supported yet; use the cgroupfs driver");
        }
        for (auto& [name, run] : runners)
            if (app.got_subcommand(name)) return run();
        std::cout << app.help();
        return 0;
    } catch (const std::exception& e) {
        return report(e.what());
    }
}
