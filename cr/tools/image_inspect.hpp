#pragma once
// `myrt image inspect PATH [--summary]`: an image as JSON, record by record,
// or counts and bytes per record type; an invalid image is reported with the
// offset and reason, and a non-zero return.
#include "cr/transport/source.hpp"

#include <ostream>

#include <nlohmann/json.hpp>
#include <string>

namespace myrt::cr::tools {

// PATH is an image file or an --image-path directory (then DIR/myrt.img).
// Returns 0 for a valid image, 1 when it is invalid (the JSON says why), and
// throws only when PATH cannot be opened.
// A directory whose image has a parent (or is a pre-dump) also gets "chain":
// the image and each parent it names, with ids and page counts.
int inspect_image(const std::string& path, bool summary, std::ostream& out);
// `chain`: printed as "chain" when not null.
int inspect_stream(transport::Source& source, bool summary, std::ostream& out,
                   const nlohmann::json& chain = nlohmann::json());

}  // namespace myrt::cr::tools
