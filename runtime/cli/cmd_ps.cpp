#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/ranges.h>

#include "runtime/cli/cli.hpp"
#include "runtime/lifecycle.hpp"
#include "util/error.hpp"

namespace myrt::cli {
namespace {
// Runs ps(1) with the given options and keeps the header and the container's rows (runc's way).
int ps_table(const std::vector<pid_t>& pids, const std::vector<std::string>& ps_args) {
    std::string cmd = "ps";
    std::vector<std::string> args = ps_args.empty() ? std::vector<std::string>{"-ef"} : ps_args;
    for (auto& a : args) {
        if (a.find('\'') != std::string::npos) fail("ps: invalid argument {}", a);
        cmd += " '" + a + "'";
    }
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw_errno("run ps");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = ::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = ::pclose(p);
    if (rc != 0) fail("ps {} failed with status {}", fmt::join(args, " "), WEXITSTATUS(rc));
    std::istringstream in(out);
    std::string header;
    std::getline(in, header);
    // Find the PID column in the header.
    std::istringstream hs(header);
    std::string col;
    int pid_col = -1, i = 0;
    while (hs >> col) {
        if (col == "PID") pid_col = i;
        ++i;
    }
    if (pid_col < 0) fail("ps output has no PID column");
    std::set<pid_t> want(pids.begin(), pids.end());
    std::cout << header << "\n";
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string field;
        for (int k = 0; k <= pid_col; ++k) ls >> field;
        try {
            if (want.count(static_cast<pid_t>(std::stol(field)))) std::cout << line << "\n";
        } catch (...) {
        }
    }
    return 0;
}
}  // namespace

Runner add_ps(CLI::App& app, GlobalOptions& g) {
    auto* c = app.add_subcommand("ps", "list the processes of a container");
    auto id = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("table");
    auto ps_args = std::make_shared<std::vector<std::string>>();
    c->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    c->add_option("id", *id, "container id")->required();
    c->add_option("ps-args", *ps_args, "options for ps(1) (table format)");
    return [&g, id, format, ps_args] {
        auto store = g.store();
        auto pids = runtime::container_pids(store, *id);
        std::sort(pids.begin(), pids.end());
        if (*format == "json") {
            std::cout << nlohmann::json(pids).dump() << "\n";
            return 0;
        }
        return ps_table(pids, *ps_args);
    };
}
}  // namespace myrt::cli
