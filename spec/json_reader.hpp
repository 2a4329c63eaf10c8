#pragma once
// A view of one JSON value that knows its path in the document, so every type
// error can say exactly where it is (`linux.resources.memory.limit: must be an
// integer`). null counts as absent, as Go's encoding/json treats it for runc.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace myrt::spec {

class JsonReader {
public:
    JsonReader(const nlohmann::json& value, std::string path) : value_(&value), path_(std::move(path)) {}

    const nlohmann::json& json() const { return *value_; }
    const std::string& path() const { return path_; }

    // Throws "<path>: <what>" (path alone when it is the document itself).
    template <class... A>
    [[noreturn]] void error(fmt::format_string<A...> f, A&&... a) const {
        std::string what = fmt::format(f, std::forward<A>(a)...);
        if (path_.empty()) throw Error(what);
        throw Error(path_ + ": " + what);
    }

    std::string child_path(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    bool is_null() const { return value_->is_null(); }

    const JsonReader& require_object() const {
        if (!value_->is_object()) error("must be an object");
        return *this;
    }
    const JsonReader& require_array() const {
        if (!value_->is_array()) error("must be an array");
        return *this;
    }

    // A member, or nullopt if the key is missing or null. Requires an object.
    // Keys match as Go's encoding/json matches them for runc: exactly if such a key is
    // there, else ignoring ASCII case ("pagesize" is pageSize), so a config runc reads
    // reads the same here.
    std::optional<JsonReader> get(std::string_view key) const {
        require_object();
        auto it = value_->find(key);
        if (it == value_->end()) {
            for (auto i = value_->begin(); i != value_->end(); ++i)
                if (equal_ignoring_ascii_case(i.key(), key)) {
                    it = i;
                    break;
                }
        }
        if (it == value_->end() || it->is_null()) return std::nullopt;
        return JsonReader(*it, child_path(key));
    }
    bool has(std::string_view key) const { return get(key).has_value(); }

    // A member that must be present (and not null).
    JsonReader required(std::string_view key) const {
        auto member = get(key);
        if (!member) JsonReader(*value_, child_path(key)).error("is required");
        return *member;
    }

    std::string as_string() const {
        if (!value_->is_string()) error("must be a string");
        return value_->get<std::string>();
    }
    bool as_bool() const {
        if (!value_->is_boolean()) error("must be a boolean");
        return value_->get<bool>();
    }

    // An integer that fits T; floats, strings and out-of-range values are errors.
    template <class T>
    T as_int() const {
        static_assert(std::is_integral_v<T>);
        if (!value_->is_number_integer()) error("must be an integer");
        if (value_->is_number_unsigned()) {
            auto v = value_->get<uint64_t>();
            if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) out_of_range<T>();
            return static_cast<T>(v);
        }
        auto v = value_->get<int64_t>();
        if constexpr (std::is_unsigned_v<T>) {
            if (v < 0) out_of_range<T>();
            if (static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max()))
                out_of_range<T>();
        } else {
            if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
                v > static_cast<int64_t>(std::numeric_limits<T>::max()))
                out_of_range<T>();
        }
        return static_cast<T>(v);
    }

    // Visits each element with its indexed path (`mounts[3]`).
    template <class F>
    void for_each(F&& visit) const {
        require_array();
        for (size_t i = 0; i < value_->size(); ++i)
            visit(JsonReader((*value_)[i], fmt::format("{}[{}]", path_, i)), i);
    }

    std::vector<std::string> as_string_array() const {
        std::vector<std::string> out;
        for_each([&](const JsonReader& item, size_t) { out.push_back(item.as_string()); });
        return out;
    }

    template <class T>
    std::vector<T> as_int_array() const {
        std::vector<T> out;
        for_each([&](const JsonReader& item, size_t) { out.push_back(item.as_int<T>()); });
        return out;
    }

    // An object whose values are all strings (annotations, sysctl, unified).
    std::map<std::string, std::string> as_string_map() const {
        require_object();
        std::map<std::string, std::string> out;
        for (auto& [key, val] : value_->items()) out[key] = JsonReader(val, child_path(key)).as_string();
        return out;
    }

    // Convenience getters for optional members.
    std::optional<std::string> get_string(std::string_view key) const {
        auto m = get(key);
        return m ? std::optional(m->as_string()) : std::nullopt;
    }
    std::optional<bool> get_bool(std::string_view key) const {
        auto m = get(key);
        return m ? std::optional(m->as_bool()) : std::nullopt;
    }
    template <class T>
    std::optional<T> get_int(std::string_view key) const {
        auto m = get(key);
        return m ? std::optional(m->as_int<T>()) : std::nullopt;
    }
    std::vector<std::string> get_string_array(std::string_view key) const {
        auto m = get(key);
        return m ? m->as_string_array() : std::vector<std::string>{};
    }

private:
    static bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (size_t i = 0; i < a.size(); ++i) {
            char x = a[i], y = b[i];
            if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
            if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
            if (x != y) return false;
        }
        return true;
    }

    template <class T>
    [[noreturn]] void out_of_range() const {
        error("must be an integer between {} and {}, got {}", std::numeric_limits<T>::min(),
              std::numeric_limits<T>::max(), value_->dump());
    }

    const nlohmann::json* value_;
    std::string path_;
};

}  // namespace myrt::spec
