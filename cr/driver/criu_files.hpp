#pragma once
// The files callers of runc expect beside an image, in CRIU's formats:
// `inventory.img` in the image directory (podman and CRI-O refuse to restore
// without it) and `stats-dump` / `stats-restore` in the work directory
// (`podman --print-stats` decodes them). Each is a CRIU image file: u32
// magic(s), u32 payload length, one protobuf message, encoded here by hand.
#include <cstdint>
#include <string>
#include <vector>

namespace myrt::cr::driver {

struct DumpStats {
    uint32_t freezing_time_us = 0;
    uint32_t frozen_time_us = 0;
    uint32_t memdump_time_us = 0;
    uint32_t memwrite_time_us = 0;
    uint64_t pages_scanned = 0;
    uint64_t pages_written = 0;
};

struct RestoreStats {
    uint32_t forking_time_us = 0;
    uint32_t restore_time_us = 0;
    uint64_t pages_restored = 0;
};

// The encoded files (exposed for tests).
std::vector<uint8_t> encode_stats_dump(const DumpStats& s);
std::vector<uint8_t> encode_stats_restore(const RestoreStats& s);
std::vector<uint8_t> encode_inventory();

// mkdir -p; throws when `path` exists and is not a directory.
void make_directories(const std::string& path);

// Writes DIR/NAME atomically (NAME.tmp, then rename).
void write_file_atomic(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes);
void write_file_atomic(const std::string& dir, const std::string& name, const std::string& text);

}  // namespace myrt::cr::driver
