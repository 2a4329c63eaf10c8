#include "cr/tools/record_json.hpp"

#include "cr/image/host_info.hpp"
#include "cr/objhash/objhash.hpp"

#include <fmt/format.h>

namespace myrt::cr::tools {

using image::RecordType;

namespace {

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

std::string hex_preview(std::span<const std::byte> data, size_t max) {
    std::string out;
    for (size_t i = 0; i < data.size() && i < max; ++i) fmt::format_to(std::back_inserter(out), "{:02x}", static_cast<unsigned>(data[i]));
    return out;
}

}  // namespace

nlohmann::json head_json(const image::HeadRecord& h) {
    return {{"magic", hex(h.magic)},
            {"format_version", h.format_version},
            {"arch", image::arch_name(h.arch)},
            {"flags", hex(h.flags)},
            {"time", h.time_sec},
            {"xsave_features", hex(h.xsave_features)},
            {"xsave_size", h.xsave_size},
            {"page_size", h.page_size},
            {"runtime_version", std::string(h.runtime_version)},
            {"uts_release", std::string(h.uts_release)},
            {"uts_version", std::string(h.uts_version)},
            {"uts_machine", std::string(h.uts_machine)}};
}

nlohmann::json tail_json(const image::TailRecord& t) {
    return {{"magic", hex(t.magic)},
            {"record_count", t.record_count},
            {"stream_bytes", t.stream_bytes},
            {"checksum", hex(t.checksum)},
            {"pages_checksum", hex(t.pages_checksum)},
            {"checksum_kind", t.checksum_kind == image::checksum_xxh3_64 ? "xxh3-64" : std::to_string(t.checksum_kind)}};
}

nlohmann::json record_payload_json(image::RecordReader& reader, const image::RecordHeader& header) {
    switch (static_cast<RecordType>(header.type)) {
        case RecordType::head: return head_json(reader.head());
        case RecordType::tail: return tail_json(reader.tail());
        case RecordType::buffer: {
            auto bytes = reader.read_buffer();
            return {{"bytes", bytes.size()}, {"hex_prefix", hex_preview(bytes, 64)}};
        }
        case RecordType::string: return {{"value", reader.read_string()}};
        case RecordType::objref: {
            auto o = reader.read_fixed<RecordType::objref>();
            return {{"kind", o.kind}, {"kind_name", std::string(objhash::kind_name(o.kind))}};
        }
        case RecordType::vma: {
            auto v = reader.read_fixed<RecordType::vma>();
            return {{"start", hex(v.start)}, {"end", hex(v.end)}, {"pgoff", v.pgoff}, {"file_objref", v.file_objref},
                    {"vm_flags", hex(v.vm_flags)}, {"prot", v.prot}, {"map_flags", hex(v.map_flags)}};
        }
        case RecordType::pages: {
            auto p = reader.read_fixed<RecordType::pages>();
            uint64_t contents = reader.payload_remaining();
            reader.skip_payload();
            return {{"vaddr", hex(p.vaddr)}, {"nr_pages", p.nr_pages}, {"page_size", uint64_t{1} << p.page_shift},
                    {"contents_bytes", contents}};
        }
        default: break;
    }
    // The subsystems' records (files, sockets, ptys, IPC...): their size and
    // leading bytes, which `image inspect` users match against image-format.md.
    uint64_t total = reader.payload_remaining();
    std::string prefix;
    for (size_t want = static_cast<size_t>(std::min<uint64_t>(total, 64)); want > 0;) {
        auto chunk = reader.read_chunk(want);
        if (chunk.empty()) break;
        prefix += hex_preview(chunk, chunk.size());
        want -= chunk.size();
    }
    reader.skip_payload();
    return {{"bytes", total}, {"hex_prefix", prefix}};
}

}  // namespace myrt::cr::tools
