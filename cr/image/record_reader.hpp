#pragma once
// Strict reader of an image stream. Nothing the image says is trusted: every
// header is checked against the type table (type known, flags known, length
// within the type's rule) before its payload is read, no allocation exceeds
// the table's limits, strings must end in NUL, and end of stream inside a
// record is "image truncated at offset N". TAIL's count and checksums are
// compared with what was actually read, and nothing may follow TAIL.
#include "cr/image/checksum.hpp"
#include "cr/image/records.hpp"
#include "cr/transport/source.hpp"

#include <fmt/format.h>

#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace myrt::cr::image {

struct TypeTotals {
    uint64_t count = 0;
    uint64_t payload_bytes = 0;
};

struct StreamSummary {
    std::map<uint32_t, TypeTotals> by_type;  // TAIL included
    uint64_t records = 0;                    // TAIL included
    uint64_t total_bytes = 0;
};

// Whether a reader reads PAGES contents (and checks TAIL's pages checksum) or
// seeks over them (a first pass that checks everything else).
enum class PageContents { read, skip };

class RecordReader {
public:
    explicit RecordReader(transport::Source& source, PageContents pages = PageContents::read);

    // Reads and validates HEAD (magic, format version, architecture, flags,
    // NUL-terminated strings). next() calls it if the caller did not.
    const HeadRecord& read_head();

    // The next record's header, its payload not yet read. Returns nullopt once
    // TAIL has been read and checked. An unread payload is skipped first.
    std::optional<RecordHeader> next();

    // Payload access for the record returned by next().
    template <RecordType T>
    typename PayloadOf<T>::type read_fixed() {
        using P = typename PayloadOf<T>::type;
        require_current(T);
        P out{};
        read_fixed_part(std::as_writable_bytes(std::span(&out, 1)));
        return out;
    }
    std::vector<std::byte> read_buffer();   // current record must be BUFFER
    std::string read_string();              // current record must be STRING; returned without its NUL
    std::span<const std::byte> read_chunk(size_t max);  // next piece of the current payload; empty when done
    void skip_payload();
    uint64_t payload_remaining() const { return payload_left_; }

    // A PAGES record whose contents someone else reads and hashes (a restore
    // fills them straight from the file, on several threads): its contents
    // are skipped, and its digest (PagesChecksum) is owed, to be handed to
    // fold_pages_digest() in record order. No record may be hashed here while
    // digests are owed, and TAIL checks that none is left.
    void skip_contents_hashed_elsewhere();
    void fold_pages_digest(uint64_t record_digest);

    // next() that must produce a record of type T, whose fixed part is returned.
    template <RecordType T>
    typename PayloadOf<T>::type expect(RecordHeader* header = nullptr) {
        auto h = next();
        if (!h) fail_at("expected a {} record, found the end of the image", record_type_name(static_cast<uint32_t>(T)));
        if (header) *header = *h;
        return read_fixed<T>();
    }

    // Reads every remaining record to TAIL (checking PAGES sizes and STRING
    // termination on the way) and returns counts and bytes per type.
    StreamSummary verify();

    const HeadRecord& head() const { return head_; }
    const TailRecord& tail() const { return tail_; }
    bool finished() const { return finished_; }
    uint64_t offset() const { return offset_; }
    uint64_t record_offset() const { return record_offset_; }
    const StreamSummary& summary() const { return summary_; }
    std::string describe() const { return source_.describe(); }

    template <class... Args>
    [[noreturn]] void fail_at(fmt::format_string<Args...> f, Args&&... args) const {
        fail_with(fmt::format(f, std::forward<Args>(args)...));
    }

private:
    [[noreturn]] void fail_with(const std::string& msg) const;
    void read_raw(std::span<std::byte> out, bool hashed, std::string_view what);
    void discard(uint64_t n, std::string_view what);
    void require_current(RecordType t) const;
    void read_fixed_part(std::span<std::byte> out);
    void finish_payload();
    void read_tail(const RecordHeader& h);
    StreamChecksum& sum_for_bulk();  // the checksum the current record's bulk part goes into
    bool in_pages_record() const { return current_.type == static_cast<uint32_t>(RecordType::pages); }
    std::string current_context() const;

    transport::Source& source_;
    PageContents pages_;
    StreamChecksum checksum_;        // everything but PAGES contents
    PagesChecksum pages_checksum_;   // PAGES contents, record by record
    size_t digests_owed_ = 0;
    bool hashed_elsewhere_ = false;  // the current PAGES record's contents
    HeadRecord head_{};
    TailRecord tail_{};
    StreamSummary summary_;
    bool head_read_ = false;
    bool finished_ = false;
    bool in_record_ = false;
    RecordHeader current_{};
    const RecordTypeInfo* current_info_ = nullptr;
    uint64_t offset_ = 0;           // bytes consumed from the source
    uint64_t record_offset_ = 0;    // where the current record's header starts
    uint64_t payload_left_ = 0;
    uint64_t fixed_left_ = 0;       // bytes of the fixed part not yet read
    uint64_t records_ = 0;          // complete non-TAIL records
};

}  // namespace myrt::cr::image
