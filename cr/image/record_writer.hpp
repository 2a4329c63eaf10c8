#pragma once
// Writes records to a Sink: HEAD first, TAIL (count and checksum) last, every
// record checked against the type table before a byte of it goes out, so the
// writer can never produce an image its own reader would reject.
#include "cr/image/checksum.hpp"
#include "cr/image/records.hpp"
#include "cr/transport/sink.hpp"

#include <cstring>
#include <span>
#include <string_view>

namespace myrt::cr::image {

class RecordWriter {
public:
    explicit RecordWriter(transport::Sink& sink);

    void write_head(const HeadRecord& head);

    template <RecordType T>
    void write(const typename PayloadOf<T>::type& payload, uint64_t objref = 0, uint32_t flags = 0) {
        static_assert(T != RecordType::head && T != RecordType::tail, "use write_head() and finish()");
        static_assert(ImagePayload<typename PayloadOf<T>::type>);
        write_record(T, std::as_bytes(std::span(&payload, 1)), objref, flags);
    }

    void write_record(RecordType type, std::span<const std::byte> payload, uint64_t objref = 0, uint32_t flags = 0);
    void write_buffer(std::span<const std::byte> data, uint64_t objref = 0);
    void write_string(std::string_view text, uint64_t objref = 0);
    void write_objref(uint64_t objref, uint32_t kind);
    // One PAGES record; `contents` goes to the sink without a copy through the writer.
    void write_pages(uint64_t vaddr, uint32_t page_shift, std::span<const std::byte> contents, uint64_t objref = 0);

    // The same record, but `contents` is handed to the sink without waiting
    // (Sink::write_borrowed): it must stay untouched until wait_released() of
    // the returned ticket (0: nothing to wait for). The checksum is taken here,
    // while the kernel already writes the bytes.
    uint64_t write_pages_borrowed(uint64_t vaddr, uint32_t page_shift, std::span<const std::byte> contents,
                                  uint64_t objref = 0);
    void wait_released(uint64_t ticket) { sink_.wait_released(ticket); }

    // A record whose payload arrives in pieces (page contents read in chunks):
    // begin with the total length, append exactly that many bytes, end.
    void begin_record(RecordType type, uint64_t len, uint64_t objref = 0, uint32_t flags = 0);
    void append(std::span<const std::byte> piece);
    void end_record();
    void begin_pages(uint64_t vaddr, uint64_t nr_pages, uint32_t page_shift, uint64_t objref = 0);

    // Writes TAIL and finishes the sink: only now does the image count as complete.
    void finish();

    uint64_t record_count() const { return records_; }
    uint64_t bytes_written() const { return bytes_; }

private:
    void emit(std::span<const std::byte> bytes, StreamChecksum& sum);
    void emit_large(std::span<const std::byte> bytes, StreamChecksum& sum);
    void check_writable(std::string_view what) const;

    transport::Sink& sink_;
    StreamChecksum checksum_;        // everything but PAGES contents
    PagesChecksum pages_checksum_;   // PAGES contents, record by record
    uint64_t records_ = 0;
    uint64_t bytes_ = 0;
    bool head_written_ = false;
    bool finished_ = false;
    bool in_record_ = false;
    RecordType current_type_{};
    uint64_t current_len_ = 0;
    uint64_t current_written_ = 0;
    uint64_t current_bulk_from_ = 0;  // PAGES: where the contents start inside the payload
};

}  // namespace myrt::cr::image
