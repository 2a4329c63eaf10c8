#include "runtime/cli/cli.hpp"
#include "runtime/lifecycle.hpp"

namespace myrt::cli {
Runner add_delete(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("delete", "delete a container and everything it holds");
    auto id = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    c->add_flag("-f,--force", *force, "kill a running or paused container first");
    c->add_option("id", *id, "container id")->required();
    return [&g, id, force] {
        auto store = g.store();
        // runc (and containerd, which deletes twice) treat a forced delete of
        // a container that is already gone as done.
        if (*force && !store.exists(*id)) {
            runtime::validate_id(*id);
            store.remove(*id);
            return 0;
        }
        runtime::delete_container(store, *id, *force);
        return 0;
    };
}
}  // namespace myrt::cli
