#pragma once
// Small file helpers used across the runtime.
#include <string>
#include <string_view>

namespace myrt::runtime {

std::string read_file(const std::string& path);
// Writes via a temporary file and rename(2), so readers never see a partial file.
void write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644);
// Plain write (for /proc and /sys files, which must not be renamed over).
void write_file(const std::string& path, std::string_view data);
void mkdir_p(const std::string& path, unsigned mode = 0755);
bool exists(const std::string& path);
std::string absolute_path(const std::string& path);

}  // namespace myrt::runtime
