#include <iostream>

#include "cr/tools/image_inspect.hpp"
#include "cr/tools/image_receive.hpp"
#include "runtime/cli/cli.hpp"
#include "runtime/fs_util.hpp"

namespace myrt::cli {
Runner add_image(CLI::App& app, GlobalOptions&) {
    auto* c = app.add_subcommand("image", "inspect or receive checkpoint images");
    c->require_subcommand(1);
    auto path = std::make_shared<std::string>();
    auto summary = std::make_shared<bool>(false);
    auto* inspect = c->add_subcommand("inspect", "print an image as JSON, record by record (like CRIU's crit)");
    inspect->add_option("path", *path, "image file or image directory")->required();
    inspect->add_flag("--summary", *summary, "only counts and bytes per record type");

    auto listen = std::make_shared<std::string>();
    auto dir = std::make_shared<std::string>();
    auto* receive = c->add_subcommand("receive", "store an image streamed by `checkpoint --image-path tcp://...`");
    receive->add_option("--listen", *listen, "ADDR:PORT to listen on")->required();
    receive->add_option("--image-path", *dir, "directory to store the image in")->required();

    return [inspect, receive, path, summary, listen, dir] {
        if (inspect->parsed()) return cr::tools::inspect_image(*path, *summary, std::cout);
        if (receive->parsed()) {
            runtime::mkdir_p(runtime::absolute_path(*dir), 0755);
            auto r = cr::tools::receive_image(*listen, *dir);
            std::cout << "received " << r.records << " records, " << r.bytes << " bytes into " << r.path << "\n";
        }
        return 0;
    };
}
}  // namespace myrt::cli
