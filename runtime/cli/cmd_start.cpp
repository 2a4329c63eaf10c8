#include "runtime/cli/cli.hpp"
#include "runtime/lifecycle.hpp"

namespace myrt::cli {
Runner add_start(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("start", "run the process of a created container");
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id, "container id")->required();
    return [&g, id] {
        runtime::start_container(g.store(), *id);
        return 0;
    };
}
}  // namespace myrt::cli
