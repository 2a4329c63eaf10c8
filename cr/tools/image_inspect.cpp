#include "cr/tools/image_inspect.hpp"

#include "cr/driver/image_chain.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/tools/image_layout.hpp"
#include "cr/tools/record_json.hpp"
#include "cr/transport/file_stream.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace myrt::cr::tools {

namespace {

// Image strings are bytes (Linux paths need not be UTF-8): never let one make the dump throw.
std::string to_text(const nlohmann::json& j, int indent = -1) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json summary_json(const image::StreamSummary& s) {
    nlohmann::json types = nlohmann::json::object();
    for (const auto& [type, totals] : s.by_type) {
        std::string name(image::record_type_name(type));
        if (name == "UNKNOWN") name = fmt::format("type {}", type);
        types[name] = {{"count", totals.count}, {"payload_bytes", totals.payload_bytes}};
    }
    return types;
}

// predump: the image and the chain of parents it names, with their page
// counts; an error (a broken or hostile chain) is reported in place.
nlohmann::json chain_json(const std::string& dir, const std::string& file) {
    nlohmann::json out = nlohmann::json::array();
    try {
        transport::FileSource source(file);
        image::RecordReader reader(source, image::PageContents::skip);
        reader.read_head();
        auto lineage = driver::read_lineage(reader);
        if (!lineage) return nullptr;
        uint64_t pages = 0, parent_pages = 0;
        while (auto h = reader.next()) {
            if (h->type == static_cast<uint32_t>(image::RecordType::pages))
                pages += reader.read_fixed<image::RecordType::pages>().nr_pages;
            else if (h->type == static_cast<uint32_t>(image::RecordType::parent_pages))
                parent_pages += reader.read_fixed<image::RecordType::parent_pages>().nr_pages;
        }
        auto entry = [](const std::string& name, const driver::Lineage& l, uint64_t p, uint64_t pp, bool pre) {
            nlohmann::json j = {{"image", name}, {"id", driver::format_image_id(l.id)}, {"container", l.container_id},
                                {"pre_dump", pre}, {"depth", l.depth}, {"pages", p}, {"parent_pages", pp}};
            if (!l.parent_path.empty()) j["parent"] = l.parent_path;
            return j;
        };
        out.push_back(entry(dir, *lineage, pages, parent_pages, reader.head().flags & image::head_flag_pre_dump));
        if (lineage->parent_path.empty()) return out;
        auto chain = driver::open_image_chain(dir, lineage->parent_path, lineage->container_id, lineage->parent_id,
                                              lineage->depth - 1, false);
        for (const auto& img : chain.images) out.push_back(entry(img.name, img.lineage, img.pages, img.parent_pages, true));
    } catch (const std::exception& e) {
        out.push_back({{"error", e.what()}});
    }
    return out;
}

}  // namespace

int inspect_stream(transport::Source& source, bool summary, std::ostream& out, const nlohmann::json& chain) {
    image::RecordReader reader(source);
    // Records are printed as they are read, so an image of any size needs no
    // more memory than one record, and an invalid one still shows what came before.
    bool first = true;
    if (!summary) out << "{\"image\": " << to_text(source.describe()) << ", \"records\": [\n";
    std::string error;
    try {
        for (;;) {
            auto h = reader.next();
            image::RecordHeader header;
            if (h) header = *h;
            else header = image::RecordHeader{static_cast<uint32_t>(image::RecordType::tail), 0, sizeof(image::TailRecord), 0};
            uint64_t offset = reader.record_offset();
            if (summary) {
                if (h && h->type == static_cast<uint32_t>(image::RecordType::string)) reader.read_string();
                if (!h) break;
                continue;
            }
            nlohmann::json rec = {{"offset", offset},
                                  {"type", std::string(image::record_type_name(header.type))},
                                  {"len", header.len},
                                  {"flags", header.flags},
                                  {"objref", header.objref},
                                  {"payload", record_payload_json(reader, header)}};
            out << (first ? "  " : ",\n  ") << to_text(rec);
            first = false;
            if (!h) break;
        }
    } catch (const std::exception& e) {
        error = e.what();
    }
    const auto& s = reader.summary();
    if (summary) {
        nlohmann::json doc = {{"image", source.describe()}, {"valid", error.empty()}};
        uint64_t records = 0;
        for (const auto& [type, totals] : s.by_type) records += totals.count;
        doc["records"] = records;
        doc["bytes"] = error.empty() ? s.total_bytes : reader.offset();
        doc["types"] = summary_json(s);
        if (!chain.is_null()) doc["chain"] = chain;  // predump
        if (!error.empty()) doc["error"] = error;
        out << to_text(doc, 2) << "\n";
    } else {
        out << "\n], \"valid\": " << (error.empty() ? "true" : "false");
        if (!chain.is_null()) out << ", \"chain\": " << to_text(chain);  // predump
        if (!error.empty()) out << ", \"error\": " << to_text(error);
        out << "}\n";
    }
    return error.empty() ? 0 : 1;
}

int inspect_image(const std::string& path, bool summary, std::ostream& out) {
    std::string file = std::filesystem::is_directory(path) ? image_stream_path(path) : path;
    auto chain = std::filesystem::is_directory(path) ? chain_json(path, file) : nlohmann::json();
    transport::FileSource source(file);
    return inspect_stream(source, summary, out, chain);
}

}  // namespace myrt::cr::tools
