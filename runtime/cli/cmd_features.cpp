#include <iostream>

#include "runtime/cli/cli.hpp"
#include "spec/config.hpp"

namespace myrt::cli {
Runner add_features(CLI::App& app, GlobalOptions&) {
    app.add_subcommand("features", "print the OCI features this runtime supports, as JSON");
    return [] {
        std::cout << spec::features().dump(4) << "\n";
        return 0;
    };
}
}  // namespace myrt::cli
