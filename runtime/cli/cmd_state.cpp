#include <iostream>

#include "runtime/cli/cli.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/state_json.hpp"

namespace myrt::cli {
Runner add_state(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("state", "print the state of a container as JSON");
    auto id = std::make_shared<std::string>();
    c->add_option("id", *id, "container id")->required();
    return [&g, id] {
        auto store = g.store();
        auto st = store.load(*id);
        std::cout << runtime::oci_state(st, runtime::current_status(store, st)).dump(2) << "\n";
        return 0;
    };
}
}  // namespace myrt::cli
