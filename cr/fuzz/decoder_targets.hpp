#pragma once
// The decoders restore_decoders_fuzzer covers, picked by an input's first
// byte; make_decoder_corpus writes seeds for each with the same numbering.
#include <cstdint>

namespace myrt::cr::fuzz {

enum class Target : uint8_t {
    image_index = 0,
    process = 1,
    namespaces = 2,
    tmpfs_entry = 3,
    ipc = 4,
    unix_table = 5,
    netns_config = 6,  // the netns section (JSON)
    inet_table = 7,
    predump_image = 8,  // a parent image of a chain (cr/driver/image_chain.hpp)
};
inline constexpr uint8_t target_count = 9;
inline constexpr uint64_t unix_table_objref = 7;
inline constexpr uint64_t inet_table_objref = 8;

}  // namespace myrt::cr::fuzz
