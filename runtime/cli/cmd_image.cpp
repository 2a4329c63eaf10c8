#include "runtime/cli/cli.hpp"
#include "util/error.hpp"

namespace myrt::cli {
Runner add_image(CLI::App& app, GlobalOptions&) {
    auto* c = app.add_subcommand("image", "inspect or receive checkpoint images");
    c->require_subcommand(1);
    auto path = std::make_shared<std::string>();
    auto* inspect = c->add_subcommand("inspect", "print an image as JSON, record by record");
    inspect->add_option("path", *path, "image file or directory")->required();
    return [path] {
        fail("not supported yet: image inspect {}", *path);
        return 1;
    };
}
}  // namespace myrt::cli
