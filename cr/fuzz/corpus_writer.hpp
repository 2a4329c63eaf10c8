#pragma once
// What both seed-corpus writers (make_image_corpus, make_decoder_corpus)
// need: a whole record stream built in memory, and a seed file holding it.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cr/image/record_writer.hpp"

namespace myrt::cr::fuzz {

// HEAD, what `body` writes, TAIL: the bytes of a valid image stream.
std::vector<std::byte> image_stream(const std::function<void(image::RecordWriter&)>& body);

// Writes `bytes` to DIR/NAME, after the one `prefix` byte when given (the
// decoder a restore_decoders_fuzzer input goes to, decoder_targets.hpp).
void save_seed(const std::filesystem::path& dir, const std::string& name, const std::vector<std::byte>& bytes,
               std::optional<uint8_t> prefix = std::nullopt);

}  // namespace myrt::cr::fuzz
