// Capability names over spec/capabilities_table (the one table of names and numbers),
// matched without regard to case as runc's exec --cap does.
#include <cctype>
#include <string_view>

#include "runtime/security/capabilities.hpp"
#include "spec/capabilities_table.hpp"
#include "util/error.hpp"

namespace myrt::security {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(a[i])) != b[i]) return false;
    return true;
}

}  // namespace

std::optional<int> cap_from_name(std::string_view name) {
    for (const auto& known : spec::all_capability_names())
        if (equal_ignoring_case(name, known)) return spec::capability_number(known);
    return std::nullopt;
}

std::vector<std::string> cap_names() { return spec::all_capability_names(); }

uint64_t cap_mask(const std::vector<std::string>& names) {
    uint64_t mask = 0;
    for (const auto& name : names) {
        auto number = cap_from_name(name);
        if (!number) fail("unknown capability \"{}\"", name);
        mask |= uint64_t{1} << *number;
    }
    return mask;
}

}  // namespace myrt::security
