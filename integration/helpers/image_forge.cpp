// image_forge: a test tool that forges checkpoint images the way an attacker
// would. It reads a real myrt.img (every checksum verified), changes the
// named fields of the driver's sections, writes every record again through
// RecordWriter (so the framing, the record checksum and the PAGES digests in
// TAIL are all recomputed) and leaves an image that only the restore's own
// checks can refuse.
//
//   image_forge show IMAGE                    JSON of the sections (jq-able)
//   image_forge edit IN OUT EDIT...           IN and OUT may be the same file
//
// EDIT is TARGET.FIELD=VALUE, applied in order (numbers in decimal, 0x hex or 0 octal):
//   process[N].uid / gid=V            all four ids (real, effective, saved, fs)
//   process[N].uid[I] / gid[I]=V      one of them (0 real .. 3 fs)
//   process[N].groups=G,G,...         supplementary groups ("" = none)
//   process[N].cap_effective / cap_permitted / cap_inheritable / cap_bounding / cap_ambient=MASK
//   process[N].securebits / no_new_privs / umask / seccomp_mode / dumpable=V
//   process[N].rlimit[R].cur / .max=V R: number or name (RLIMIT_MEMLOCK); "inf" = RLIM_INFINITY,
//                                     cur=hard: the soft limit raised to the hard one
//   process[N].seccomp=none           every filter dropped
//   process[N].seccomp[I]=allow       filter I replaced by "return ALLOW"
//   process[N].cwd / root / exe=PATH
//   process[N].vma[K].start / end / pgoff / vm_flags / prot / shared / kind / inode=V
//   process[N].vma[K].path=PATH
//   process[N].vma.add=START-END[:locked]  an anonymous private rw VMA, kept in address order
//   process[N].vma.spray=COUNT        COUNT one-page anonymous VMAs above the highest user VMA
//   process[N].threads.dup=COUNT      COUNT copies of the last thread, tids 10000 up
//   process[N].groups.dup=COUNT       COUNT supplementary groups 100000 up
//   process[N].clone=COUNT            COUNT copies of process N (pids 20000 up, parent: process 0),
//                                     with its files records and memory
//   process[N].pages.add=ADDR:COUNT   a PAGES record of COUNT zero pages at ADDR (in its memory)
//   tmpfs[N].uid / gid / mode=V       the Nth tmpfs entry
//   tmpfs[N].mount / path=TEXT
//   ns.hostname=NAME
//   ns.flags=V                        the namespaces the container had of its own (cr/ns/ns_state.hpp NsFlag)
//   TYPE[N].FIELD=V                   a field of the Nth record of a fixed-layout type, in image order:
//     file[N]: kind flags pos pipe_objref size rdev mode, and path (the STRING after it)
//     unix_socket[N]: type state flags shutdown backlog, and name / peer_name (text, length set too)
//     unix_message[N]: sender_id, and sender_name
//     inotify_watch[N]: mask wd, and path (the STRING after it)
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cr/driver/codec.hpp"
#include "cr/driver/sections.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/transport/open_stream.hpp"
#include "util/error.hpp"

using namespace myrt;
using namespace myrt::cr;

namespace {

struct Record {
    image::RecordHeader h{};
    std::vector<std::byte> payload;  // the whole payload (PAGES: fixed part and contents)
};

struct Image {
    image::HeadRecord head{};
    std::vector<Record> records;  // HEAD and TAIL excluded
};

Image load(const std::string& path) {
    auto src = transport::open_source(path);
    image::RecordReader r(*src, image::PageContents::read);
    Image img;
    img.head = r.read_head();
    while (auto h = r.next()) {
        Record rec{*h, {}};
        rec.payload.reserve(h->len);
        if (h->type == static_cast<uint32_t>(image::RecordType::pages)) {
            auto p = r.read_fixed<image::RecordType::pages>();
            auto b = std::as_bytes(std::span(&p, 1));
            rec.payload.assign(b.begin(), b.end());
        }
        for (auto c = r.read_chunk(1 << 20); !c.empty(); c = r.read_chunk(1 << 20))
            rec.payload.insert(rec.payload.end(), c.begin(), c.end());
        img.records.push_back(std::move(rec));
    }
    return img;
}

void save(const Image& img, const std::string& path) {
    auto sink = transport::open_sink(path);
    image::RecordWriter w(*sink);
    w.write_head(img.head);
    for (const auto& rec : img.records) {
        if (rec.h.type == static_cast<uint32_t>(image::RecordType::pages)) {
            image::PagesRecord p{};
            std::memcpy(&p, rec.payload.data(), sizeof p);
            w.write_pages(p.vaddr, p.page_shift, std::span(rec.payload).subspan(sizeof p), rec.h.objref);
        } else {
            w.write_record(static_cast<image::RecordType>(rec.h.type), rec.payload, rec.h.objref, rec.h.flags);
        }
    }
    w.finish();
}

bool is_section(const Record& r, uint64_t tag) {
    return r.h.type == static_cast<uint32_t>(image::RecordType::buffer) && r.h.objref == tag;
}

std::vector<size_t> section_indexes(const Image& img, uint64_t tag) {
    std::vector<size_t> out;
    for (size_t i = 0; i < img.records.size(); ++i)
        if (is_section(img.records[i], tag)) out.push_back(i);
    return out;
}

uint64_t number(const std::string& s) {
    if (s == "inf") return RLIM_INFINITY;
    uint64_t v = 0;
    int base = 10;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        b += 2;
    } else if (s.size() > 1 && s[0] == '0') {
        base = 8;  // modes: 04755
        b += 1;
    }
    auto [p, ec] = std::from_chars(b, e, v, base);
    if (ec != std::errc() || p != e || b == e) fail("not a number: \"{}\"", s);
    return v;
}

int rlimit_index(const std::string& s) {
    static const std::map<std::string, int> names = {
        {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_STACK", RLIMIT_STACK},     {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},     {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME}};
    if (auto it = names.find(s); it != names.end()) return it->second;
    auto n = number(s);
    if (n >= static_cast<uint64_t>(kNumRlimits)) fail("rlimit {} is not one of the image's {}", s, kNumRlimits);
    return static_cast<int>(n);
}

int32_t& inner_pid(ProcessState& p) { return p.core.ids.ns_pid[p.core.ids.ns_depth - 1]; }

// The one-instruction program "return SECCOMP_RET_ALLOW".
std::vector<sock_filter> allow_all() { return {sock_filter{0x06, 0, 0, 0x7fff0000}}; }

Vma anonymous_vma(uint64_t start, uint64_t end) {
    Vma v;
    v.rec.start = start;
    v.rec.end = end;
    v.rec.prot = 3;  // PROT_READ | PROT_WRITE
    v.rec.vm_flags = vm_read | vm_write | vm_maywrite | vm_account;
    v.rec.kind = VmaKind::anonymous;
    return v;
}

void insert_vma(ProcessState& st, Vma v) {
    auto at = std::find_if(st.vmas.begin(), st.vmas.end(), [&](const Vma& o) { return o.rec.start >= v.rec.end; });
    if (at != st.vmas.begin() && std::prev(at)->rec.end > v.rec.start)
        fail("VMA {:#x}-{:#x} overlaps {:#x}-{:#x}", v.rec.start, v.rec.end, std::prev(at)->rec.start, std::prev(at)->rec.end);
    st.vmas.insert(at, std::move(v));
}

// The records of process `index`: its section and files records, its PAGES
// and its memory end marker (positions in img.records).
struct ProcessRecords {
    size_t section = 0, files_end = 0;  // [section, files_end)
    std::vector<size_t> memory;          // PAGES and the end marker
};

ProcessRecords records_of(const Image& img, size_t index) {
    auto sections = section_indexes(img, driver::section::process);
    if (index >= sections.size()) fail("the image has {} processes, not {}", sections.size(), index + 1);
    ProcessRecords out;
    out.section = sections[index];
    out.files_end = out.section + 1;
    while (out.files_end < img.records.size() && !is_section(img.records[out.files_end], driver::section::process) &&
           img.records[out.files_end].h.type != static_cast<uint32_t>(image::RecordType::pages) &&
           !is_section(img.records[out.files_end], driver::section::memory_end))
        ++out.files_end;
    for (size_t i = 0; i < img.records.size(); ++i) {
        const auto& r = img.records[i];
        if (r.h.type == static_cast<uint32_t>(image::RecordType::pages) && r.h.objref == driver::pages_objref(static_cast<uint32_t>(index)))
            out.memory.push_back(i);
        if (is_section(r, driver::section::memory_end)) {
            uint32_t which = 0;
            std::memcpy(&which, r.payload.data(), sizeof which);
            if (which == index) out.memory.push_back(i);
        }
    }
    return out;
}

Record buffer_record(uint64_t tag, std::vector<std::byte> payload) {
    Record r;
    r.h.type = static_cast<uint32_t>(image::RecordType::buffer);
    r.h.objref = tag;
    r.h.len = payload.size();
    r.payload = std::move(payload);
    return r;
}

void clone_process(Image& img, size_t index, uint64_t count) {
    auto sections = section_indexes(img, driver::section::process);
    auto nproc = static_cast<uint32_t>(sections.size());
    auto src = records_of(img, index);
    auto root = driver::decode_process(img.records[sections[0]].payload);
    auto proto = driver::decode_process(img.records[src.section].payload);
    std::vector<Record> files(img.records.begin() + static_cast<long>(src.section) + 1,
                              img.records.begin() + static_cast<long>(src.files_end));
    std::vector<Record> new_sections, new_memory;
    for (uint64_t c = 0; c < count; ++c) {
        auto st = proto;
        auto pid = static_cast<int32_t>(20000 + c);
        auto& ids = st.core.ids;
        for (int l = 0; l < ids.ns_depth; ++l) ids.ns_pid[l] = pid + (ids.ns_depth - 1 - l) * 100000;
        ids.pid = ids.ns_pid[0];
        ids.ppid = root.core.ids.pid;
        if (!st.threads.empty()) st.threads[0].core.ns_tid = pid;
        new_sections.push_back(buffer_record(driver::section::process, driver::encode_process(st)));
        new_sections.insert(new_sections.end(), files.begin(), files.end());
        auto new_index = nproc + static_cast<uint32_t>(c);
        for (size_t m : src.memory) {
            Record r = img.records[m];
            if (r.h.type == static_cast<uint32_t>(image::RecordType::pages)) {
                r.h.objref = driver::pages_objref(new_index);
            } else {
                std::memcpy(r.payload.data(), &new_index, sizeof new_index);
            }
            new_memory.push_back(std::move(r));
        }
    }
    // The memory goes after the last process's end marker, the sections after
    // the last process's files records.
    auto last = records_of(img, nproc - 1);
    img.records.insert(img.records.begin() + static_cast<long>(last.memory.back()) + 1, new_memory.begin(), new_memory.end());
    img.records.insert(img.records.begin() + static_cast<long>(last.files_end), new_sections.begin(), new_sections.end());
}

void add_pages(Image& img, size_t index, uint64_t addr, uint64_t count) {
    auto recs = records_of(img, index);
    std::vector<std::byte> payload(sizeof(image::PagesRecord) + count * 4096);
    image::PagesRecord p{addr, count, 12, 0};
    std::memcpy(payload.data(), &p, sizeof p);
    Record r;
    r.h.type = static_cast<uint32_t>(image::RecordType::pages);
    r.h.objref = driver::pages_objref(static_cast<uint32_t>(index));
    r.h.len = payload.size();
    r.payload = std::move(payload);
    // In address order among the process's PAGES.
    size_t at = recs.memory.back();
    for (size_t m : recs.memory) {
        const auto& o = img.records[m];
        if (o.h.type != static_cast<uint32_t>(image::RecordType::pages)) continue;
        image::PagesRecord op{};
        std::memcpy(&op, o.payload.data(), sizeof op);
        if (op.vaddr > addr) {
            at = m;
            break;
        }
    }
    img.records.insert(img.records.begin() + static_cast<long>(at), std::move(r));
}

void edit_process(Image& img, size_t index, const std::string& field, const std::string& value) {
    std::smatch m;
    if (field == "clone") return clone_process(img, index, number(value));
    if (field == "pages.add") {
        auto colon = value.find(':');
        if (colon == std::string::npos) fail("pages.add needs ADDR:COUNT");
        return add_pages(img, index, number(value.substr(0, colon)), number(value.substr(colon + 1)));
    }
    auto recs = records_of(img, index);
    auto& rec = img.records[recs.section];
    auto st = driver::decode_process(rec.payload);
    auto& c = st.core.creds;
    auto all4 = [&](uint32_t* ids) { std::fill(ids, ids + 4, static_cast<uint32_t>(number(value))); };
    static const std::regex one_id(R"((uid|gid)\[([0-3])\])");
    static const std::regex rlimit(R"(rlimit\[([A-Z_0-9a-z]+)\]\.(cur|max))");
    static const std::regex vma_field(R"(vma\[(\d+)\]\.(\w+))");
    static const std::regex filter(R"(seccomp\[(\d+)\])");
    if (field == "uid") all4(c.uid);
    else if (field == "gid") all4(c.gid);
    else if (std::regex_match(field, m, one_id)) {
        uint32_t* ids = m[1].str() == "uid" ? c.uid : c.gid;
        ids[m[2].str()[0] - '0'] = static_cast<uint32_t>(number(value));
    }
    else if (field == "groups") {
        st.groups.clear();
        std::stringstream ss(value);
        for (std::string g; std::getline(ss, g, ',');)
            if (!g.empty()) st.groups.push_back(static_cast<uint32_t>(number(g)));
    } else if (field == "groups.dup") {
        for (uint64_t i = 0; i < number(value); ++i) st.groups.push_back(static_cast<uint32_t>(100000 + i));
    } else if (field == "cap_effective") c.cap_effective = number(value);
    else if (field == "cap_permitted") c.cap_permitted = number(value);
    else if (field == "cap_inheritable") c.cap_inheritable = number(value);
    else if (field == "cap_bounding") c.cap_bounding = number(value);
    else if (field == "cap_ambient") c.cap_ambient = number(value);
    else if (field == "securebits") c.securebits = static_cast<uint32_t>(number(value));
    else if (field == "no_new_privs") c.no_new_privs = static_cast<uint32_t>(number(value));
    else if (field == "umask") st.core.umask = static_cast<uint32_t>(number(value));
    else if (field == "seccomp_mode") st.core.seccomp_mode = static_cast<uint32_t>(number(value));
    else if (field == "dumpable") st.core.dumpable = static_cast<uint32_t>(number(value));
    else if (std::regex_match(field, m, rlimit)) {
        auto& r = st.core.rlimits[rlimit_index(m[1])];
        (m[2] == "cur" ? r.cur : r.max) = value == "hard" ? r.max : number(value);
    } else if (field == "seccomp") {
        if (value != "none") fail("seccomp= takes only \"none\"");
        st.seccomp.clear();
    } else if (std::regex_match(field, m, filter)) {
        auto i = std::stoul(m[1]);
        if (i >= st.seccomp.size()) fail("process {} has {} seccomp filters", index, st.seccomp.size());
        if (value != "allow") fail("seccomp[I]= takes only \"allow\"");
        st.seccomp[i] = allow_all();
    } else if (field == "cwd") st.cwd = value;
    else if (field == "root") st.root = value;
    else if (field == "exe") st.exe = value;
    else if (std::regex_match(field, m, vma_field)) {
        auto k = std::stoul(m[1]);
        if (k >= st.vmas.size()) fail("process {} has {} VMAs", index, st.vmas.size());
        auto& v = st.vmas[k];
        std::string f = m[2];
        if (f == "path") v.path = value;
        else if (f == "start") v.rec.start = number(value);
        else if (f == "end") v.rec.end = number(value);
        else if (f == "pgoff") v.rec.pgoff = number(value);
        else if (f == "vm_flags") v.rec.vm_flags = number(value);
        else if (f == "prot") v.rec.prot = static_cast<uint32_t>(number(value));
        else if (f == "shared") v.rec.shared = static_cast<uint32_t>(number(value));
        else if (f == "kind") v.rec.kind = static_cast<VmaKind>(number(value));
        else if (f == "inode") v.rec.inode = number(value);
        else fail("unknown VMA field {}", f);
    } else if (field == "vma.add") {
        static const std::regex range(R"((\w+)-(\w+)(:locked)?)");
        if (!std::regex_match(value, m, range)) fail("vma.add needs START-END[:locked]");
        auto v = anonymous_vma(number(m[1]), number(m[2]));
        if (m[3].matched) v.rec.vm_flags |= vm_locked;
        insert_vma(st, std::move(v));
    } else if (field == "vma.spray") {
        uint64_t top = 0;
        for (const auto& v : st.vmas)
            if (v.rec.end < 0x7f0000000000ull && v.rec.end > top) top = v.rec.end;
        // Every other page, so neighbours stay separate VMAs.
        for (uint64_t i = 0; i < number(value); ++i) {
            uint64_t at = top + 0x10000000 + i * 8192;
            insert_vma(st, anonymous_vma(at, at + 4096));
        }
    } else if (field == "threads.dup") {
        if (st.threads.empty()) fail("process {} has no thread to copy", index);
        auto proto = st.threads.back();
        for (uint64_t i = 0; i < number(value); ++i) {
            proto.core.ns_tid = static_cast<int32_t>(10000 + i);
            proto.core.tid = proto.core.ns_tid;
            st.threads.push_back(proto);
        }
        st.core.nthreads = static_cast<uint32_t>(st.threads.size());
    } else {
        fail("unknown process field \"{}\"", field);
    }
    // Credentials are restored per thread (image format 7): an edit of the process's is made
    // to every thread's too, as a forger would, so the checks of the threads are what is tested.
    static const std::regex cred_field(R"(uid|gid|(uid|gid)\[[0-3]\]|groups|groups\.dup|cap_\w+|securebits|no_new_privs)");
    if (std::regex_match(field, cred_field))
        for (auto& t : st.threads) {
            t.creds = c;
            t.groups = st.groups;
        }
    rec.payload = driver::encode_process(st);
    rec.h.len = rec.payload.size();
}

// A field of a fixed-layout record: where it is and how wide; width 0 marks
// a name (char array) whose length field sits at `len_offset`.
struct FieldSlot {
    size_t offset, width, len_offset = 0;
};
struct RecordLayout {
    image::RecordType type;
    size_t size;
    std::map<std::string, FieldSlot> fields;
    bool path_follows = false;  // a STRING record follows with the path
};

#define MYRT_SLOT(T, f) FieldSlot{offsetof(T, f), sizeof(T::f)}
#define MYRT_NAME(T, f, len) FieldSlot{offsetof(T, f), 0, offsetof(T, len)}
const std::map<std::string, RecordLayout>& record_layouts() {
    using image::FileRecord, image::UnixSocketRecord, image::UnixMessageRecord, image::InotifyWatchRecord;
    static const std::map<std::string, RecordLayout> layouts = {
        {"file",
         {image::RecordType::file, sizeof(FileRecord),
          {{"kind", MYRT_SLOT(FileRecord, kind)}, {"flags", MYRT_SLOT(FileRecord, flags)}, {"pos", MYRT_SLOT(FileRecord, pos)},
           {"pipe_objref", MYRT_SLOT(FileRecord, pipe_objref)}, {"size", MYRT_SLOT(FileRecord, size)},
           {"rdev", MYRT_SLOT(FileRecord, rdev)}, {"mode", MYRT_SLOT(FileRecord, mode)}},
          true}},
        {"unix_socket",
         {image::RecordType::unix_socket, sizeof(UnixSocketRecord),
          {{"type", MYRT_SLOT(UnixSocketRecord, type)}, {"state", MYRT_SLOT(UnixSocketRecord, state)},
           {"flags", MYRT_SLOT(UnixSocketRecord, flags)}, {"shutdown", MYRT_SLOT(UnixSocketRecord, shutdown)},
           {"backlog", MYRT_SLOT(UnixSocketRecord, backlog)},
           {"name", MYRT_NAME(UnixSocketRecord, name, name_len)},
           {"peer_name", MYRT_NAME(UnixSocketRecord, peer_name, peer_name_len)}}}},
        {"unix_message",
         {image::RecordType::unix_message, sizeof(UnixMessageRecord),
          {{"sender_id", MYRT_SLOT(UnixMessageRecord, sender_id)},
           {"sender_name", MYRT_NAME(UnixMessageRecord, sender_name, sender_name_len)}}}},
        {"inotify_watch",
         {image::RecordType::inotify_watch, sizeof(InotifyWatchRecord),
          {{"mask", MYRT_SLOT(InotifyWatchRecord, mask)}, {"wd", MYRT_SLOT(InotifyWatchRecord, wd)}},
          true}},
    };
    return layouts;
}
#undef MYRT_SLOT
#undef MYRT_NAME

void set_string_record(Record& rec, const std::string& text) {
    rec.payload.resize(text.size() + 1);
    std::memcpy(rec.payload.data(), text.c_str(), text.size() + 1);
    rec.h.len = rec.payload.size();
}

void edit_record(Image& img, const RecordLayout& layout, const std::string& type, size_t index, const std::string& field,
                 const std::string& value) {
    size_t seen = 0, at = img.records.size();
    for (size_t i = 0; i < img.records.size(); ++i)
        if (img.records[i].h.type == static_cast<uint32_t>(layout.type) && seen++ == index) {
            at = i;
            break;
        }
    if (at == img.records.size()) fail("the image has {} {} records, not {}", seen, type, index + 1);
    Record& rec = img.records[at];
    if (rec.payload.size() != layout.size) fail("{} record {} has {} bytes, not {}", type, index, rec.payload.size(), layout.size);
    if (field == "path" && layout.path_follows) {
        if (at + 1 >= img.records.size() || img.records[at + 1].h.type != static_cast<uint32_t>(image::RecordType::string))
            fail("{} record {} is not followed by its path", type, index);
        return set_string_record(img.records[at + 1], value);
    }
    auto f = layout.fields.find(field);
    if (f == layout.fields.end()) fail("unknown {} field \"{}\"", type, field);
    const FieldSlot& slot = f->second;
    if (slot.width == 0) {
        // A name: bytes and their length; "@x" is the abstract name "\0x".
        std::string text = value.starts_with('@') ? std::string(1, '\0') + value.substr(1) : value;
        if (text.size() > image::unix_name_max) fail("{} longer than {} bytes", field, image::unix_name_max);
        std::memset(rec.payload.data() + slot.offset, 0, image::unix_name_max);
        std::memcpy(rec.payload.data() + slot.offset, text.data(), text.size());
        auto len = static_cast<uint32_t>(text.size());
        std::memcpy(rec.payload.data() + slot.len_offset, &len, sizeof len);
        return;
    }
    uint64_t v = number(value);
    // Little-endian: the low `width` bytes of the value.
    std::memcpy(rec.payload.data() + slot.offset, &v, slot.width);
}

void edit_tmpfs(Image& img, size_t index, const std::string& field, const std::string& value) {
    auto entries = section_indexes(img, driver::section::tmpfs_entry);
    if (index >= entries.size()) fail("the image has {} tmpfs entries", entries.size());
    auto& rec = img.records[entries[index]];
    auto e = driver::decode_tmpfs_entry(rec.payload);
    if (field == "uid") e.uid = static_cast<uint32_t>(number(value));
    else if (field == "gid") e.gid = static_cast<uint32_t>(number(value));
    else if (field == "mode") e.mode = static_cast<uint32_t>(number(value));
    else if (field == "mount") e.mount = value;
    else if (field == "path") e.path = value;
    else fail("unknown tmpfs field \"{}\"", field);
    rec.payload = driver::encode_tmpfs_entry(e);
    rec.h.len = rec.payload.size();
}

void edit(Image& img, const std::string& spec) {
    static const std::regex form(R"((process|tmpfs)\[(\d+)\]\.([^=]+)=(.*))");
    std::smatch m;
    if (std::regex_match(spec, m, form)) {
        auto index = std::stoul(m[2]);
        if (m[1] == "process") edit_process(img, index, m[3], m[4]);
        else edit_tmpfs(img, index, m[3], m[4]);
        return;
    }
    static const std::regex typed(R"((\w+)\[(\d+)\]\.([^=]+)=(.*))");
    if (std::regex_match(spec, m, typed)) {
        const auto& layouts = record_layouts();
        if (auto l = layouts.find(m[1]); l != layouts.end())
            return edit_record(img, l->second, m[1], std::stoul(m[2]), m[3], m[4]);
    }
    if (spec.rfind("ns.hostname=", 0) == 0 || spec.rfind("ns.flags=", 0) == 0) {
        auto ns_at = section_indexes(img, driver::section::ns);
        if (ns_at.empty()) fail("the image has no namespaces section");
        auto& rec = img.records[ns_at[0]];
        auto st = driver::decode_namespaces(rec.payload);
        if (spec[3] == 'h') st.hostname = spec.substr(12);
        else st.flags = static_cast<uint32_t>(number(spec.substr(9)));
        rec.payload = driver::encode_namespaces(st);
        rec.h.len = rec.payload.size();
        return;
    }
    fail("cannot read the edit \"{}\" (see the usage at the top of image_forge.cpp)", spec);
}

nlohmann::json show(const Image& img) {
    using nlohmann::json;
    json out;
    json procs = json::array();
    size_t index = 0;
    for (size_t i : section_indexes(img, driver::section::process)) {
        auto st = driver::decode_process(img.records[i].payload);
        const auto& c = st.core.creds;
        json rl = json::array();
        for (const auto& r : st.core.rlimits) rl.push_back({{"cur", r.cur}, {"max", r.max}});
        json vmas = json::array();
        for (const auto& v : st.vmas)
            vmas.push_back({{"start", v.rec.start}, {"end", v.rec.end}, {"vm_flags", v.rec.vm_flags},
                            {"kind", static_cast<uint32_t>(v.rec.kind)}, {"shared", v.rec.shared}, {"prot", v.rec.prot},
                            {"path", v.path}});
        json threads = json::array();
        for (const auto& t : st.threads) threads.push_back(t.core.ns_tid);
        auto recs = records_of(img, index);
        procs.push_back({{"index", index},
                         {"pid", inner_pid(st)},
                         {"comm", std::string(st.core.comm, strnlen(st.core.comm, sizeof st.core.comm))},
                         {"uid", std::vector<uint32_t>(c.uid, c.uid + 4)},
                         {"gid", std::vector<uint32_t>(c.gid, c.gid + 4)},
                         {"groups", st.groups},
                         {"cap_effective", c.cap_effective},
                         {"cap_permitted", c.cap_permitted},
                         {"cap_inheritable", c.cap_inheritable},
                         {"cap_bounding", c.cap_bounding},
                         {"cap_ambient", c.cap_ambient},
                         {"securebits", c.securebits},
                         {"no_new_privs", c.no_new_privs},
                         {"rlimits", rl},
                         {"seccomp_filters", st.seccomp.size()},
                         {"cwd", st.cwd},
                         {"root", st.root},
                         {"exe", st.exe},
                         {"threads", threads},
                         {"vmas", vmas},
                         {"files_records", recs.files_end - recs.section - 1},
                         {"memory_records", recs.memory.size()}});
        ++index;
    }
    out["processes"] = procs;
    json tmpfs = json::array();
    for (size_t i : section_indexes(img, driver::section::tmpfs_entry)) {
        auto e = driver::decode_tmpfs_entry(img.records[i].payload);
        tmpfs.push_back({{"mount", e.mount}, {"path", e.path}, {"kind", static_cast<uint32_t>(e.kind)}, {"mode", e.mode},
                         {"uid", e.uid}, {"gid", e.gid}, {"size", e.size}});
    }
    out["tmpfs"] = tmpfs;
    if (auto ns_at = section_indexes(img, driver::section::ns); !ns_at.empty()) {
        auto st = driver::decode_namespaces(img.records[ns_at[0]].payload);
        out["ns"] = {{"flags", st.flags}, {"hostname", st.hostname}};
    }
    // The records edit_record reaches, by type, in image order.
    json files = json::array(), sockets = json::array(), messages = json::array();
    auto text_after = [&](size_t i) {
        if (i + 1 < img.records.size() && img.records[i + 1].h.type == static_cast<uint32_t>(image::RecordType::string)) {
            const auto& p = img.records[i + 1].payload;
            return std::string(reinterpret_cast<const char*>(p.data()), strnlen(reinterpret_cast<const char*>(p.data()), p.size()));
        }
        return std::string();
    };
    auto name_of = [](const char* n, uint32_t len) { return std::string(n, std::min<uint32_t>(len, image::unix_name_max)); };
    for (size_t i = 0; i < img.records.size(); ++i) {
        const auto& r = img.records[i];
        if (r.h.type == static_cast<uint32_t>(image::RecordType::file) && r.payload.size() == sizeof(image::FileRecord)) {
            image::FileRecord f{};
            std::memcpy(&f, r.payload.data(), sizeof f);
            files.push_back({{"kind", f.kind}, {"flags", f.flags}, {"mode", f.mode}, {"rdev", f.rdev}, {"path", text_after(i)}});
        } else if (r.h.type == static_cast<uint32_t>(image::RecordType::unix_socket) &&
                   r.payload.size() == sizeof(image::UnixSocketRecord)) {
            image::UnixSocketRecord u{};
            std::memcpy(&u, r.payload.data(), sizeof u);
            sockets.push_back({{"type", u.type}, {"state", u.state}, {"flags", u.flags}, {"name", name_of(u.name, u.name_len)},
                               {"peer_name", name_of(u.peer_name, u.peer_name_len)}});
        } else if (r.h.type == static_cast<uint32_t>(image::RecordType::unix_message) &&
                   r.payload.size() == sizeof(image::UnixMessageRecord)) {
            image::UnixMessageRecord u{};
            std::memcpy(&u, r.payload.data(), sizeof u);
            messages.push_back({{"len", u.len}, {"sender_id", u.sender_id}, {"sender_name", name_of(u.sender_name, u.sender_name_len)}});
        }
    }
    out["file"] = files;
    out["unix_socket"] = sockets;
    out["unix_message"] = messages;
    return out;
}

}  // namespace

int main(int argc, char** argv) try {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 2 && args[0] == "show") {
        std::cout << show(load(args[1])).dump(1) << "\n";
        return 0;
    }
    if (args.size() >= 3 && args[0] == "edit") {
        auto img = load(args[1]);
        for (size_t i = 3; i < args.size(); ++i) edit(img, args[i]);
        save(img, args[2]);
        return 0;
    }
    std::cerr << "usage: image_forge show IMAGE | image_forge edit IN OUT EDIT... (see image_forge.cpp)\n";
    return 2;
} catch (const std::exception& e) {
    std::cerr << "image_forge: " << e.what() << "\n";
    return 1;
}
