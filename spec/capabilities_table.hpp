#pragma once
// Linux capability names <-> numbers, shared by spec validation, `features`
// and the runtime's capability code so they can never disagree.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace myrt::spec {

// Number of a capability named as the OCI spec does ("CAP_SYS_ADMIN" -> 21);
// nullopt for an unknown name.
std::optional<int> capability_number(std::string_view name);
// Name of a capability number (21 -> "CAP_SYS_ADMIN"); nullopt if out of range.
std::optional<std::string> capability_name(int number);
// Every capability myrt knows, in kernel number order (CAP_CHOWN ... CAP_CHECKPOINT_RESTORE).
const std::vector<std::string>& all_capability_names();
// The highest capability number in the table (CAP_LAST_CAP of the headers myrt knows).
int last_capability_number();

}  // namespace myrt::spec
