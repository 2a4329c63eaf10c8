#include "cr/image/record_reader.hpp"

#include "cr/image/host_info.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <array>

namespace myrt::cr::image {

namespace {

template <size_t N>
bool nul_terminated(const char (&field)[N]) {
    return std::memchr(field, '\0', N) != nullptr;
}

std::string type_label(uint32_t type) {
    const RecordTypeInfo* info = find_record_type(type);
    return info ? std::string(info->name) : fmt::format("type {}", type);
}

}  // namespace

RecordReader::RecordReader(transport::Source& source, PageContents pages) : source_(source), pages_(pages) {}

StreamChecksum& RecordReader::sum_for_bulk() {
    if (!in_pages_record()) return checksum_;
    if (digests_owed_ > 0)
        fail_at("PAGES record at offset {} read while {} earlier records' digests are owed", record_offset_, digests_owed_);
    return pages_checksum_.record();
}

void RecordReader::fail_with(const std::string& msg) const { throw Error(fmt::format("{}: {}", source_.describe(), msg)); }

std::string RecordReader::current_context() const {
    if (!in_record_) return "between records";
    return fmt::format("inside the {} record that starts at offset {}", type_label(current_.type), record_offset_);
}

void RecordReader::read_raw(std::span<std::byte> out, bool hashed, std::string_view what) {
    size_t done = 0;
    while (done < out.size()) {
        auto chunk = source_.read_chunk(out.size() - done);
        if (chunk.empty())
            fail_at("image truncated at offset {} ({}, while reading {})", offset_, current_context(), what);
        std::memcpy(out.data() + done, chunk.data(), chunk.size());
        if (hashed) checksum_.update(chunk);
        done += chunk.size();
        offset_ += chunk.size();
    }
}

void RecordReader::discard(uint64_t n, std::string_view what) {
    if (n == 0) return;
    if (pages_ == PageContents::skip && in_pages_record() && fixed_left_ == 0) {
        // Unread and unhashed: the pages checksum is left to the pass that reads them.
        uint64_t skipped = source_.skip(n);
        offset_ += skipped;
        if (skipped < n) fail_at("image truncated at offset {} ({}, while skipping {})", offset_, current_context(), what);
        return;
    }
    StreamChecksum& sum = sum_for_bulk();
    while (n > 0) {
        auto chunk = source_.read_chunk(static_cast<size_t>(std::min<uint64_t>(n, 1 << 20)));
        if (chunk.empty())
            fail_at("image truncated at offset {} ({}, while reading {})", offset_, current_context(), what);
        sum.update(chunk);
        n -= chunk.size();
        offset_ += chunk.size();
    }
}

const HeadRecord& RecordReader::read_head() {
    if (head_read_) return head_;
    RecordHeader h{};
    read_raw(std::as_writable_bytes(std::span(&h, 1)), true, "the HEAD record header");
    if (h.type != static_cast<uint32_t>(RecordType::head))
        fail_at("not a myrt image: the first record is {} (expected HEAD, type {})", type_label(h.type),
                static_cast<uint32_t>(RecordType::head));
    if (h.len != sizeof(HeadRecord))
        fail_at("HEAD payload is {} bytes (expected exactly {}); the image is damaged or from an incompatible myrt", h.len,
                sizeof(HeadRecord));
    if (h.objref != 0) fail_at("HEAD carries objref {} (a top-level record must carry 0)", h.objref);
    if (h.flags & ~known_record_flags) fail_at("HEAD record flags {:#x} include unknown bits", h.flags);
    in_record_ = true;
    current_ = h;
    record_offset_ = 0;
    read_raw(std::as_writable_bytes(std::span(&head_, 1)), true, "the HEAD payload");
    in_record_ = false;
    if (head_.magic != head_magic)
        fail_at("bad image magic {:#018x} (expected {:#018x}): not a myrt image", head_.magic, head_magic);
    if (head_.format_version != format_version)
        fail_at("image format version {} is not supported (this myrt reads version {})", head_.format_version, format_version);
    if (head_.arch != host_arch())
        fail_at("image architecture {} ({}) does not match this machine's {} ({})", head_.arch, arch_name(head_.arch),
                host_arch(), arch_name(host_arch()));
    if (head_.flags & ~known_head_flags)
        fail_at("HEAD flags {:#x} include unknown bits {:#x}", head_.flags, head_.flags & ~known_head_flags);
    if (!nul_terminated(head_.runtime_version) || !nul_terminated(head_.uts_release) ||
        !nul_terminated(head_.uts_version) || !nul_terminated(head_.uts_machine))
        fail_at("HEAD holds a version or uts string that is not NUL-terminated");
    head_read_ = true;
    records_ = 1;
    summary_.by_type[h.type].count++;
    summary_.by_type[h.type].payload_bytes += h.len;
    return head_;
}

std::optional<RecordHeader> RecordReader::next() {
    if (!head_read_) {
        read_head();
        return RecordHeader{static_cast<uint32_t>(RecordType::head), 0, sizeof(HeadRecord), 0};
    }
    if (finished_) return std::nullopt;
    if (in_record_) finish_payload();
    record_offset_ = offset_;
    RecordHeader h{};
    // Not hashed yet: if this is TAIL, its header is outside the checksum.
    read_raw(std::as_writable_bytes(std::span(&h, 1)), false, "a record header");
    const RecordTypeInfo* info = find_record_type(h.type);
    if (!info) fail_at("unknown record type {} at offset {}", h.type, record_offset_);
    if (h.flags & ~known_record_flags)
        fail_at("{} record at offset {} has unknown flag bits {:#x}", info->name, record_offset_, h.flags & ~known_record_flags);
    if (info->top_level && h.objref != 0)
        fail_at("{} record at offset {} carries objref {} (a top-level record must carry 0)", info->name, record_offset_, h.objref);
    if (h.type == static_cast<uint32_t>(RecordType::head)) fail_at("a second HEAD record at offset {}", record_offset_);
    if (h.type == static_cast<uint32_t>(RecordType::objref) && h.objref == 0)
        fail_at("OBJREF record at offset {} has objref 0", record_offset_);
    bool len_ok = false;
    switch (info->shape) {
        case PayloadShape::fixed: len_ok = h.len == info->fixed_size; break;
        case PayloadShape::fixed_then_bulk: len_ok = h.len >= info->fixed_size && h.len <= info->max_len; break;
        case PayloadShape::bytes: len_ok = h.len <= info->max_len; break;
        case PayloadShape::string: len_ok = h.len >= 1 && h.len <= info->max_len; break;
    }
    if (!len_ok) {
        if (info->shape == PayloadShape::fixed)
            fail_at("{} record at offset {} has a {}-byte payload (expected exactly {})", info->name, record_offset_, h.len, info->fixed_size);
        fail_at("{} record at offset {} has a payload length of {} bytes, outside the allowed {}..{}", info->name, record_offset_,
                h.len, info->shape == PayloadShape::string ? 1 : info->fixed_size, info->max_len);
    }
    if (h.type == static_cast<uint32_t>(RecordType::tail)) {
        read_tail(h);
        return std::nullopt;
    }
    checksum_.update(std::as_bytes(std::span(&h, 1)));
    in_record_ = true;
    current_ = h;
    current_info_ = info;
    payload_left_ = h.len;
    fixed_left_ = info->shape == PayloadShape::fixed || info->shape == PayloadShape::fixed_then_bulk ? info->fixed_size : 0;
    summary_.by_type[h.type].count++;
    summary_.by_type[h.type].payload_bytes += h.len;
    return h;
}

void RecordReader::read_tail(const RecordHeader& h) {
    uint64_t stream_bytes = record_offset_;
    if (digests_owed_ > 0) fail_at("TAIL reached with {} PAGES digests still owed", digests_owed_);
    uint64_t digest = checksum_.digest();
    uint64_t pages_digest = pages_checksum_.digest();
    in_record_ = true;
    current_ = h;
    read_raw(std::as_writable_bytes(std::span(&tail_, 1)), false, "the TAIL payload");
    in_record_ = false;
    if (tail_.magic != tail_magic) fail_at("bad TAIL magic {:#018x} at offset {} (expected {:#018x})", tail_.magic, record_offset_, tail_magic);
    if (tail_.record_count != records_)
        fail_at("TAIL says the image holds {} records, {} were read", tail_.record_count, records_);
    if (tail_.stream_bytes != stream_bytes)
        fail_at("TAIL says the image holds {} bytes before it, it was found at offset {}", tail_.stream_bytes, stream_bytes);
    if (tail_.checksum_kind != checksum_xxh3_64)
        fail_at("TAIL uses checksum kind {}, this myrt knows only {} (XXH3-64)", tail_.checksum_kind, checksum_xxh3_64);
    if (tail_.reserved != 0) fail_at("TAIL reserved field is {:#x} (must be 0)", tail_.reserved);
    if (tail_.checksum != digest)
        fail_at("image checksum mismatch: TAIL records {:#018x}, the stream hashes to {:#018x}; the image is corrupt", tail_.checksum, digest);
    if (pages_ == PageContents::read && tail_.pages_checksum != pages_digest)
        fail_at("image checksum mismatch in page contents: TAIL records {:#018x}, the pages hash to {:#018x}; the image is "
                "corrupt",
                tail_.pages_checksum, pages_digest);
    auto extra = source_.read_chunk(1);
    if (!extra.empty()) fail_at("unexpected data after TAIL at offset {}", offset_);
    summary_.by_type[h.type].count++;
    summary_.by_type[h.type].payload_bytes += h.len;
    summary_.records = records_ + 1;
    summary_.total_bytes = offset_;
    finished_ = true;
}

void RecordReader::require_current(RecordType t) const {
    if (!in_record_) fail_at("expected a {} record at offset {}, but no record is open", record_type_name(static_cast<uint32_t>(t)), offset_);
    if (current_.type != static_cast<uint32_t>(t))
        fail_at("expected a {} record at offset {}, found {}", record_type_name(static_cast<uint32_t>(t)), record_offset_,
                type_label(current_.type));
}

void RecordReader::read_fixed_part(std::span<std::byte> out) {
    if (out.size() != current_info_->fixed_size || fixed_left_ != out.size())
        fail_at("{} record at offset {}: its fixed part was already read", current_info_->name, record_offset_);
    read_raw(out, true, "a record payload");
    payload_left_ -= out.size();
    fixed_left_ = 0;
    if (in_pages_record()) {
        PagesRecord p;
        std::memcpy(&p, out.data(), sizeof(p));
        uint64_t contents = 0;
        if (!pages_contents_len(p, contents))
            fail_at("PAGES record at offset {}: {} pages with page shift {} is out of range", record_offset_, p.nr_pages, p.page_shift);
        if (contents != payload_left_)
            fail_at("PAGES record at offset {}: {} pages of {} bytes need {} bytes of contents, the record holds {}", record_offset_,
                    p.nr_pages, uint64_t{1} << p.page_shift, contents, payload_left_);
    }
}

std::vector<std::byte> RecordReader::read_buffer() {
    require_current(RecordType::buffer);
    if (payload_left_ != current_.len) fail_at("BUFFER record at offset {} was already partly read", record_offset_);
    std::vector<std::byte> out(payload_left_);  // bounded by max_buffer_len in next()
    read_raw(out, true, "a BUFFER payload");
    payload_left_ = 0;
    return out;
}

std::string RecordReader::read_string() {
    require_current(RecordType::string);
    if (payload_left_ != current_.len) fail_at("STRING record at offset {} was already partly read", record_offset_);
    std::string out(payload_left_, '\0');  // bounded by max_string_len in next()
    read_raw(std::as_writable_bytes(std::span(out.data(), out.size())), true, "a STRING payload");
    payload_left_ = 0;
    if (out.back() != '\0') fail_at("STRING record at offset {} is not NUL-terminated", record_offset_);
    out.pop_back();
    if (out.find('\0') != std::string::npos) fail_at("STRING record at offset {} holds a NUL byte before its end", record_offset_);
    return out;
}

std::span<const std::byte> RecordReader::read_chunk(size_t max) {
    if (!in_record_) fail_at("no record is open at offset {}", offset_);
    if (fixed_left_ != 0 && in_pages_record())
        fail_at("PAGES record at offset {}: read its PagesRecord before its contents", record_offset_);
    if (pages_ == PageContents::skip && in_pages_record())
        fail_at("PAGES record at offset {}: this reader skips page contents", record_offset_);
    if (payload_left_ == 0 || max == 0) return {};
    // A non-PAGES record's fixed part may come in the same chunk as its bulk: both are in the main checksum.
    auto chunk = source_.read_chunk(static_cast<size_t>(std::min<uint64_t>(max, payload_left_)));
    if (chunk.empty()) fail_at("image truncated at offset {} ({}, {} payload bytes missing)", offset_, current_context(), payload_left_);
    sum_for_bulk().update(chunk);
    offset_ += chunk.size();
    payload_left_ -= chunk.size();
    fixed_left_ = fixed_left_ > chunk.size() ? fixed_left_ - chunk.size() : 0;
    return chunk;
}

void RecordReader::skip_payload() {
    if (!in_record_) return;
    if (in_pages_record() && fixed_left_ != 0) {
        PagesRecord p;  // check the page count against the length even when skipping
        read_fixed_part(std::as_writable_bytes(std::span(&p, 1)));
    }
    discard(payload_left_, "a record payload");
    payload_left_ = 0;
    fixed_left_ = 0;
}

void RecordReader::skip_contents_hashed_elsewhere() {
    require_current(RecordType::pages);
    if (pages_ != PageContents::read) fail_at("PAGES record at offset {}: this reader skips page contents", record_offset_);
    if (fixed_left_ != 0 || hashed_elsewhere_) fail_at("PAGES record at offset {}: contents already read", record_offset_);
    uint64_t contents = payload_left_;
    uint64_t skipped = source_.skip(contents);
    offset_ += skipped;
    if (skipped < contents)
        fail_at("image truncated at offset {} ({}, while skipping page contents)", offset_, current_context());
    payload_left_ = 0;
    hashed_elsewhere_ = true;
    ++digests_owed_;
}

void RecordReader::fold_pages_digest(uint64_t record_digest) {
    if (digests_owed_ == 0) fail_at("a PAGES digest folded where none is owed");
    pages_checksum_.fold(record_digest);
    --digests_owed_;
}

void RecordReader::finish_payload() {
    bool pages_record = in_pages_record();
    skip_payload();
    // The record's own digest, unless its contents were skipped by a first
    // pass (not hashed at all) or are hashed elsewhere (folded by the caller).
    if (pages_record && pages_ == PageContents::read && !hashed_elsewhere_) {
        if (digests_owed_ > 0)
            fail_at("PAGES record at offset {} ended while {} earlier records' digests are owed", record_offset_, digests_owed_);
        pages_checksum_.end_record();
    }
    hashed_elsewhere_ = false;
    std::array<std::byte, 8> pad{};
    uint64_t n = padded_len(current_.len) - current_.len;
    read_raw(std::span(pad).first(n), true, "record padding");
    for (uint64_t i = 0; i < n; ++i)
        if (pad[i] != std::byte{0}) fail_at("non-zero padding after the {} record at offset {}", type_label(current_.type), record_offset_);
    in_record_ = false;
    ++records_;
}

StreamSummary RecordReader::verify() {
    while (auto h = next()) {
        if (h->type == static_cast<uint32_t>(RecordType::string)) read_string();
    }
    return summary_;
}

}  // namespace myrt::cr::image
