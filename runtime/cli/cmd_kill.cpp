#include "runtime/cli/cli.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/signals.hpp"

namespace myrt::cli {
Runner add_kill(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("kill", "send a signal to a container's init (default SIGTERM)");
    auto id = std::make_shared<std::string>();
    auto sig = std::make_shared<std::string>("SIGTERM");
    auto all = std::make_shared<bool>(false);
    c->add_flag("-a,--all", *all, "signal every process of the container");
    c->add_option("id", *id, "container id")->required();
    c->add_option("signal", *sig, "signal number or name (15, TERM, SIGTERM); 0 checks that the init is alive");
    return [&g, id, sig, all] {
        runtime::kill_container(g.store(), *id, runtime::parse_signal(*sig), *all);
        return 0;
    };
}
}  // namespace myrt::cli
