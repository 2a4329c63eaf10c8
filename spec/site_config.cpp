#include "spec/site_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>

#include "util/error.hpp"

namespace myrt::spec {
namespace {

// Reads one YAML mapping, remembering which keys were consumed so that a
// misspelt key is reported instead of silently ignored.
class Section {
public:
    Section(const YAML::Node& node, std::string file, std::string prefix)
        : node_(node), file_(std::move(file)), prefix_(std::move(prefix)) {}

    template <class... A>
    [[noreturn]] void error(const std::string& key, fmt::format_string<A...> f, A&&... a) const {
        fail("{}: {}{}: {}", file_, prefix_, key, fmt::format(f, std::forward<A>(a)...));
    }

    // Null or missing keys leave the default in place (nullopt: a default
    // YAML::Node is a defined null, not "absent").
    std::optional<YAML::Node> get(const std::string& key) {
        known_.push_back(key);
        // Through a const node: yaml-cpp's non-const operator[] inserts the key.
        const YAML::Node& map = node_;
        YAML::Node value = map[key];
        if (!value.IsDefined() || value.IsNull()) return std::nullopt;
        return value;
    }

    void read_string(const std::string& key, std::string& out) {
        auto value = get(key);
        if (!value) return;
        if (!value->IsScalar()) error(key, "must be a string");
        out = value->Scalar();
    }

    void read_choice(const std::string& key, std::string& out, std::initializer_list<const char*> choices) {
        std::string value = out;
        read_string(key, value);
        for (auto choice : choices)
            if (value == choice) {
                out = value;
                return;
            }
        std::string list;
        size_t i = 0;
        for (auto choice : choices) {
            list += i == 0 ? "" : (i + 1 == choices.size() ? " or " : ", ");
            list += fmt::format("\"{}\"", choice);
            ++i;
        }
        error(key, "must be {}, got \"{}\"", list, value);
    }

    void read_absolute_path(const std::string& key, std::string& out) {
        std::string value = out;
        read_string(key, value);
        if (!value.empty() && value.front() != '/') error(key, "must be an absolute path, got \"{}\"", value);
        out = value;
    }

    void read_bool(const std::string& key, bool& out) {
        auto value = get(key);
        if (!value) return;
        bool parsed;
        if (!value->IsScalar() || !YAML::convert<bool>::decode(*value, parsed))
            error(key, "must be true or false, got \"{}\"", value->IsScalar() ? value->Scalar() : "a non-scalar");
        out = parsed;
    }

    Section child(const std::string& key) {
        auto value = get(key);
        if (value && !value->IsMap()) error(key, "must be a mapping");
        return Section(value ? *value : YAML::Node(YAML::NodeType::Map), file_, prefix_ + key + ".");
    }

    void reject_unknown_keys() const {
        for (auto it = node_.begin(); it != node_.end(); ++it) {
            if (!it->first.IsScalar())
                fail("{}: {}line {}: keys must be plain names", file_, prefix_, it->first.Mark().line + 1);
            auto key = it->first.Scalar();
            if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
                std::string known;
                for (auto& k : known_) known += (known.empty() ? "" : ", ") + k;
                fail("{}: {}{}: unknown key (known keys: {})", file_, prefix_, key, known);
            }
        }
    }

private:
    YAML::Node node_;
    std::string file_;
    std::string prefix_;
    std::vector<std::string> known_;
};

SiteConfig parse_site_config_checked(const std::string& text, const std::string& name) {
    YAML::Node doc;
    try {
        doc = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        fail("{}: line {}, column {}: {}", name, e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    SiteConfig config;
    if (!doc || doc.IsNull()) return config;  // an empty file means all defaults
    if (!doc.IsMap()) fail("{}: must be a mapping of keys to values", name);

    Section top(doc, name, "");
    top.read_absolute_path("root", config.root);
    top.read_choice("log_level", config.log_level, {"debug", "info", "warning", "error"});
    top.read_choice("log_format", config.log_format, {"text", "json"});
    top.read_choice("cgroup_layout", config.cgroup_layout, {"auto", "v1", "v2", "hybrid"});
    top.read_absolute_path("cgroup_parent", config.cgroup_parent);
    Section checkpoint = top.child("checkpoint");
    checkpoint.read_absolute_path("image_dir_default", config.checkpoint.image_dir_default);
    checkpoint.read_bool("leave_running", config.checkpoint.leave_running);
    checkpoint.read_bool("file_locks", config.checkpoint.file_locks);
    checkpoint.read_bool("tcp_established", config.checkpoint.tcp_established);
    checkpoint.reject_unknown_keys();
    top.reject_unknown_keys();
    if (config.root.empty()) fail("{}: root: must not be empty", name);
    return config;
}

}  // namespace

SiteConfig parse_site_config(const std::string& text, const std::string& name) {
    try {
        return parse_site_config_checked(text, name);
    } catch (const YAML::Exception& e) {
        // Every shape is checked before conversion; this only keeps the one
        // error type if yaml-cpp finds something the checks did not foresee.
        fail("{}: line {}, column {}: {}", name, e.mark.line + 1, e.mark.column + 1, e.msg);
    }
}

SiteConfig load_site_config(const std::string& path, bool must_exist) {
    std::ifstream in(path);
    if (!in) {
        int e = errno;
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) {
            if (!must_exist) return SiteConfig{};
            fail("{}: configuration file does not exist", path);
        }
        throw SystemError(e, fmt::format("{}: cannot read configuration file", path));
    }
    std::stringstream text;
    text << in.rdbuf();
    return parse_site_config(text.str(), path);
}

}  // namespace myrt::spec
