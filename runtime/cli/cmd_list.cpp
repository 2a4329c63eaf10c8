#include <sys/stat.h>

#include <iostream>

#include <fmt/format.h>

#include "runtime/cli/cli.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/state_json.hpp"
#include "util/error.hpp"

namespace myrt::cli {
Runner add_list(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("list", "list containers");
    auto format = std::make_shared<std::string>("table");
    auto quiet = std::make_shared<bool>(false);
    c->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    c->add_flag("-q,--quiet", *quiet, "print only the ids");
    return [&g, format, quiet] {
        // As runc: a missing default root is an empty list, a missing --root an error.
        struct stat rs;
        if (g.root_given && ::stat(g.root.c_str(), &rs) != 0) throw_errno("list: --root {}", g.root);
        auto store = g.store();
        nlohmann::ordered_json all = nlohmann::ordered_json::array();
        std::vector<std::array<std::string, 6>> rows;
        for (const auto& id : store.list()) {
            runtime::ContainerState st;
            try {
                st = store.load(id);
            } catch (...) {
                continue;  // deleted while we listed
            }
            auto status = runtime::current_status(store, st);
            if (*quiet) {
                std::cout << id << "\n";
                continue;
            }
            all.push_back(runtime::oci_state(st, status));
            rows.push_back({id, std::to_string(status == runtime::Status::stopped ? 0 : st.pid), runtime::status_name(status),
                            st.bundle, st.created, st.owner.empty() ? "root" : st.owner});
        }
        if (*quiet) return 0;
        if (*format == "json") {
            std::cout << (all.empty() ? "null" : all.dump()) << "\n";
            return 0;
        }
        std::cout << fmt::format("{:<12} {:<8} {:<10} {:<40} {:<31} {}\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
        for (auto& r : rows)
            std::cout << fmt::format("{:<12} {:<8} {:<10} {:<40} {:<31} {}\n", r[0], r[1], r[2], r[3], r[4], r[5]);
        return 0;
    };
}
}  // namespace myrt::cli
