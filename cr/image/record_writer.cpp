#include "cr/image/record_writer.hpp"

#include "util/error.hpp"

#include <array>

namespace myrt::cr::image {

namespace {

// Below this, copying into the sink's buffer is cheaper than a separate submission.
constexpr size_t unbuffered_threshold = 64 * 1024;

constexpr std::array<std::byte, 8> zero_padding{};

}  // namespace

RecordWriter::RecordWriter(transport::Sink& sink) : sink_(sink) {}

void RecordWriter::check_writable(std::string_view what) const {
    if (finished_) fail("cannot write {} to {}: the image is already finished", what, sink_.describe());
    if (in_record_) fail("cannot write {} to {}: record {} is still open ({} of {} bytes written)", what,
                         sink_.describe(), record_type_name(static_cast<uint32_t>(current_type_)), current_written_, current_len_);
}

void RecordWriter::emit(std::span<const std::byte> bytes, StreamChecksum& sum) {
    sum.update(bytes);
    sink_.write(bytes);
    bytes_ += bytes.size();
}

void RecordWriter::emit_large(std::span<const std::byte> bytes, StreamChecksum& sum) {
    if (bytes.size() < unbuffered_threshold) return emit(bytes, sum);
    // The checksum runs while the kernel copies the same bytes out.
    sink_.write_unbuffered(bytes, [&sum](std::span<const std::byte> d) { sum.update(d); });
    bytes_ += bytes.size();
}

void RecordWriter::write_head(const HeadRecord& head) {
    if (head_written_) fail("HEAD was already written to {}", sink_.describe());
    if (head.magic != head_magic || head.format_version != format_version)
        fail("refusing to write a HEAD with magic {:#x} version {} (expected {:#x} version {})", head.magic,
             head.format_version, head_magic, format_version);
    if (head.flags & ~known_head_flags) fail("HEAD flags {:#x} include unknown bits", head.flags);
    head_written_ = true;
    write_record(RecordType::head, std::as_bytes(std::span(&head, 1)));
}

void RecordWriter::write_record(RecordType type, std::span<const std::byte> payload, uint64_t objref, uint32_t flags) {
    begin_record(type, payload.size(), objref, flags);
    if (type == RecordType::pages) {
        append(payload.first(sizeof(PagesRecord)));
        append(payload.subspan(sizeof(PagesRecord)));
    } else {
        append(payload);
    }
    end_record();
}

void RecordWriter::write_buffer(std::span<const std::byte> data, uint64_t objref) { write_record(RecordType::buffer, data, objref); }

void RecordWriter::write_string(std::string_view text, uint64_t objref) {
    if (text.find('\0') != std::string_view::npos) fail("string for {} contains a NUL byte", sink_.describe());
    begin_record(RecordType::string, text.size() + 1, objref);
    append(std::as_bytes(std::span(text.data(), text.size())));
    append(std::span(zero_padding).first(1));
    end_record();
}

void RecordWriter::write_objref(uint64_t objref, uint32_t kind) {
    if (objref == 0) fail("an OBJREF record needs a non-zero objref");
    write<RecordType::objref>(ObjrefRecord{kind, 0}, objref);
}

void RecordWriter::write_pages(uint64_t vaddr, uint32_t page_shift, std::span<const std::byte> contents, uint64_t objref) {
    if (page_shift < 12 || page_shift > 21 || contents.size() % (uint64_t{1} << page_shift) != 0)
        fail("PAGES at {:#x}: {} bytes is not a whole number of {}-byte pages", vaddr, contents.size(), uint64_t{1} << page_shift);
    begin_pages(vaddr, contents.size() >> page_shift, page_shift, objref);
    append(contents);
    end_record();
}

uint64_t RecordWriter::write_pages_borrowed(uint64_t vaddr, uint32_t page_shift, std::span<const std::byte> contents,
                                            uint64_t objref) {
    if (page_shift < 12 || page_shift > 21 || contents.size() % (uint64_t{1} << page_shift) != 0)
        fail("PAGES at {:#x}: {} bytes is not a whole number of {}-byte pages", vaddr, contents.size(), uint64_t{1} << page_shift);
    begin_pages(vaddr, contents.size() >> page_shift, page_shift, objref);
    uint64_t ticket = 0;
    if (contents.size() < unbuffered_threshold) {
        append(contents);
    } else {
        ticket = sink_.write_borrowed(contents);
        pages_checksum_.record().update(contents);
        bytes_ += contents.size();
        current_written_ += contents.size();
    }
    end_record();
    return ticket;
}

void RecordWriter::begin_pages(uint64_t vaddr, uint64_t nr_pages, uint32_t page_shift, uint64_t objref) {
    PagesRecord p{vaddr, nr_pages, page_shift, 0};
    uint64_t contents = 0;
    if (!pages_contents_len(p, contents))
        fail("PAGES at {:#x}: {} pages of 2^{} bytes is outside the record limits", vaddr, nr_pages, page_shift);
    begin_record(RecordType::pages, sizeof(p) + contents, objref);
    append(std::as_bytes(std::span(&p, 1)));
}

void RecordWriter::begin_record(RecordType type, uint64_t len, uint64_t objref, uint32_t flags) {
    const RecordTypeInfo* info = find_record_type(static_cast<uint32_t>(type));
    if (!info) fail("record type {} is not in the image schema", static_cast<uint32_t>(type));
    check_writable(info->name);
    if (!head_written_ && type != RecordType::head) fail("{} written to {} before HEAD", info->name, sink_.describe());
    if (type == RecordType::head && records_ != 0) fail("HEAD must be the first record of {}", sink_.describe());
    if (type == RecordType::tail) fail("TAIL is written by finish()");
    if (flags & ~known_record_flags) fail("{} record flags {:#x} include unknown bits", info->name, flags);
    if (info->top_level && objref != 0) fail("{} is a top-level record and cannot carry objref {}", info->name, objref);
    bool ok = false;
    switch (info->shape) {
        case PayloadShape::fixed: ok = len == info->fixed_size; break;
        case PayloadShape::fixed_then_bulk: ok = len >= info->fixed_size && len <= info->max_len; break;
        case PayloadShape::bytes: ok = len <= info->max_len; break;
        case PayloadShape::string: ok = len >= 1 && len <= info->max_len; break;
    }
    if (!ok) fail("{} record of {} bytes is outside its size rule (fixed {}, max {})", info->name, len, info->fixed_size, info->max_len);
    RecordHeader h{static_cast<uint32_t>(type), flags, len, objref};
    emit(std::as_bytes(std::span(&h, 1)), checksum_);
    in_record_ = true;
    current_type_ = type;
    current_len_ = len;
    current_written_ = 0;
    current_bulk_from_ = info->shape == PayloadShape::fixed_then_bulk ? info->fixed_size : len;
}

void RecordWriter::append(std::span<const std::byte> piece) {
    if (!in_record_) fail("append to {} outside a record", sink_.describe());
    if (piece.size() > current_len_ - current_written_)
        fail("{} record overflows: {} more bytes after {} of {}", record_type_name(static_cast<uint32_t>(current_type_)),
             piece.size(), current_written_, current_len_);
    // Header and fixed parts go into the main checksum; a PAGES record's
    // contents (its bulk part) into the pages checksum (records.hpp, TAIL).
    if (current_written_ < current_bulk_from_) {
        auto fixed = piece.first(std::min<uint64_t>(piece.size(), current_bulk_from_ - current_written_));
        emit(fixed, checksum_);
        current_written_ += fixed.size();
        piece = piece.subspan(fixed.size());
    }
    if (!piece.empty()) emit_large(piece, current_type_ == RecordType::pages ? pages_checksum_.record() : checksum_);
    current_written_ += piece.size();
}

void RecordWriter::end_record() {
    if (!in_record_) fail("end_record on {} without an open record", sink_.describe());
    if (current_written_ != current_len_)
        fail("{} record ended after {} of its {} bytes", record_type_name(static_cast<uint32_t>(current_type_)), current_written_, current_len_);
    uint64_t pad = padded_len(current_len_) - current_len_;
    if (pad) emit(std::span(zero_padding).first(pad), checksum_);
    if (current_type_ == RecordType::pages) pages_checksum_.end_record();
    in_record_ = false;
    ++records_;
}

void RecordWriter::finish() {
    check_writable("TAIL");
    if (!head_written_) fail("cannot finish {}: no HEAD was written", sink_.describe());
    TailRecord t{tail_magic, records_, bytes_, checksum_.digest(), checksum_xxh3_64, 0, pages_checksum_.digest()};
    RecordHeader h{static_cast<uint32_t>(RecordType::tail), 0, sizeof(t), 0};
    sink_.write(std::as_bytes(std::span(&h, 1)));
    sink_.write(std::as_bytes(std::span(&t, 1)));
    bytes_ += sizeof(h) + sizeof(t);
    finished_ = true;
    sink_.finish();
}

}  // namespace myrt::cr::image
