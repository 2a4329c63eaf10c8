#include "runtime/cli/cli.hpp"
#include "runtime/lifecycle.hpp"

namespace myrt::cli {
Runner add_pause(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("pause", "freeze every process of a container");
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id, "container id")->required();
    return [&g, id] {
        runtime::pause_container(g.store(), *id);
        return 0;
    };
}
Runner add_resume(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("resume", "thaw a paused container");
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id, "container id")->required();
    return [&g, id] {
        runtime::resume_container(g.store(), *id);
        return 0;
    };
}
}  // namespace myrt::cli
