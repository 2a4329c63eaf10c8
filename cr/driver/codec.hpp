#pragma once
// Byte encoding of the driver's sections (see sections.hpp). Encoding is
// plain little-endian; decoding checks every count and length against what
// is left and against fixed limits, so a hostile image gets a clear error
// naming the field instead of a huge allocation or an out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cr/ns/ns_state.hpp"
#include "cr/ns/tmpfs_contents.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr::driver {

std::vector<std::byte> encode_process(const ProcessState& st);
// `max_vmas`: a process with more VMAs is refused before they are read (the
// restore passes vm.max_map_count).
ProcessState decode_process(std::span<const std::byte> data, uint32_t max_vmas = 1u << 20);

std::vector<std::byte> encode_namespaces(const ns::NamespaceState& st);
ns::NamespaceState decode_namespaces(std::span<const std::byte> data);

std::vector<std::byte> encode_tmpfs_entry(const ns::TmpfsEntry& e);
ns::TmpfsEntry decode_tmpfs_entry(std::span<const std::byte> data);

}  // namespace myrt::cr::driver
