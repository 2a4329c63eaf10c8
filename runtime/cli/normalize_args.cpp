#include <set>

#include "runtime/cli/cli.hpp"

namespace myrt::cli {
namespace {

struct OptionNames {
    std::set<std::string> flags;   // long names taking no value
    std::set<std::string> valued;  // long names taking a value
    std::set<std::string> short_valued;
};

OptionNames names_of(const CLI::App* app) {
    OptionNames n;
    for (const CLI::Option* o : app->get_options()) {
        bool takes_value = o->get_items_expected_min() > 0;
        for (auto& l : o->get_lnames()) (takes_value ? n.valued : n.flags).insert(l);
        if (takes_value)
            for (auto& s : o->get_snames()) n.short_valued.insert(s);
    }
    return n;
}

// Rewrites args[i..] for one app until its first positional or subcommand;
// returns the index where it stopped.
size_t normalize_level(const CLI::App* app, std::vector<std::string>& a, size_t i, const CLI::App** sub) {
    OptionNames n = names_of(app);
    *sub = nullptr;
    while (i < a.size()) {
        std::string& t = a[i];
        if (t == "--") return i;
        if (t.size() > 2 && t[0] == '-' && t[1] != '-') {
            std::string name = t.substr(1, t.find('=') == std::string::npos ? std::string::npos : t.find('=') - 1);
            if (n.flags.count(name) || n.valued.count(name)) t = "-" + t;
        }
        if (t.rfind("--", 0) == 0) {
            std::string name = t.substr(2, t.find('=') == std::string::npos ? std::string::npos : t.find('=') - 2);
            bool inline_value = t.find('=') != std::string::npos;
            i += (n.valued.count(name) && !inline_value) ? 2 : 1;
            continue;
        }
        if (t.size() == 2 && t[0] == '-') {
            i += n.short_valued.count(t.substr(1)) ? 2 : 1;
            continue;
        }
        if (!t.empty() && t[0] == '-') {
            ++i;
            continue;
        }
        // A positional or a subcommand name.
        for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; }))
            if (s->check_name(t)) *sub = s;
        return i;
    }
    return i;
}

}  // namespace

std::vector<std::string> normalize_args(CLI::App& app, const std::vector<std::string>& args) {
    std::vector<std::string> a = args;
    const CLI::App* level = &app;
    size_t i = 0;
    while (level) {
        const CLI::App* sub = nullptr;
        i = normalize_level(level, a, i, &sub);
        if (!sub) {
            // `exec ID CMD -x...` and `ps ID -ef`: everything after the id
            // belongs to the command, never to our own options.
            std::string name = level->get_name();
            if ((name == "exec" || name == "ps") && i < a.size() && a[i] != "--" && i + 1 < a.size() && a[i + 1] != "--")
                a.insert(a.begin() + static_cast<long>(i) + 1, "--");
            break;
        }
        level = sub;
        ++i;
    }
    return a;
}

}  // namespace myrt::cli
