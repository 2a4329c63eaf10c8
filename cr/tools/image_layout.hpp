#pragma once
// Where the image stream lives inside an --image-path directory. One stream
// file holds every record; other files (inventory.img, stats-dump) sit beside
// it when callers need them.
#include <string>
#include <string_view>

namespace myrt::cr::tools {

inline constexpr std::string_view image_stream_file = "myrt.img";

// DIR/myrt.img
inline std::string image_stream_path(const std::string& dir) {
    if (dir.empty() || dir.back() == '/') return dir + std::string(image_stream_file);
    return dir + "/" + std::string(image_stream_file);
}

}  // namespace myrt::cr::tools
