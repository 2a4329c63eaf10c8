#pragma once
// JSON for one record's payload, as `myrt image inspect` prints it (CRIU crit
// style). A subsystem that adds a record type adds its case in record_json.cpp.
#include "cr/image/record_reader.hpp"

#include <nlohmann/json.hpp>

namespace myrt::cr::tools {

// Reads (consumes) the current record's payload from `reader` and describes it.
// Bulk contents (page data) are checksummed by the reader but not printed.
nlohmann::json record_payload_json(image::RecordReader& reader, const image::RecordHeader& header);
nlohmann::json head_json(const image::HeadRecord& head);
nlohmann::json tail_json(const image::TailRecord& tail);

}  // namespace myrt::cr::tools
