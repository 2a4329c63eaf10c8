#include "cr/driver/criu_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace myrt::cr::driver {
namespace {

// CRIU's magic numbers (criu/include/magic.h).
constexpr uint32_t img_common_magic = 0x54564319;
constexpr uint32_t img_service_magic = 0x55105940;
constexpr uint32_t inventory_magic = 0x58313116;
constexpr uint32_t stats_magic = 0x57093306;
constexpr uint32_t criu_images_v1_1 = 2;

void varint(std::vector<uint8_t>& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}
void field_varint(std::vector<uint8_t>& out, uint32_t field, uint64_t v) {
    varint(out, uint64_t{field} << 3 | 0);
    varint(out, v);
}
void field_message(std::vector<uint8_t>& out, uint32_t field, const std::vector<uint8_t>& msg) {
    varint(out, uint64_t{field} << 3 | 2);
    varint(out, msg.size());
    out.insert(out.end(), msg.begin(), msg.end());
}
void u32le(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
std::vector<uint8_t> image_file(uint32_t first_magic, uint32_t magic, const std::vector<uint8_t>& msg) {
    std::vector<uint8_t> out;
    u32le(out, first_magic);
    u32le(out, magic);
    u32le(out, static_cast<uint32_t>(msg.size()));
    out.insert(out.end(), msg.begin(), msg.end());
    return out;
}

}  // namespace

std::vector<uint8_t> encode_stats_dump(const DumpStats& s) {
    // dump_stats_entry (criu/images/stats.proto): every proto2 `required`
    // field is present, or Go's decoder refuses the message.
    std::vector<uint8_t> dump;
    field_varint(dump, 1, s.freezing_time_us);
    field_varint(dump, 2, s.frozen_time_us);
    field_varint(dump, 3, s.memdump_time_us);
    field_varint(dump, 4, s.memwrite_time_us);
    field_varint(dump, 5, s.pages_scanned);
    field_varint(dump, 6, 0);  // pages_skipped_parent: no pre-dump parent
    field_varint(dump, 7, s.pages_written);
    field_varint(dump, 9, 0);  // pages_lazy
    std::vector<uint8_t> entry;
    field_message(entry, 1, dump);
    return image_file(img_service_magic, stats_magic, entry);
}

std::vector<uint8_t> encode_stats_restore(const RestoreStats& s) {
    std::vector<uint8_t> restore;
    field_varint(restore, 1, 0);  // pages_compared
    field_varint(restore, 2, 0);  // pages_skipped_cow
    field_varint(restore, 3, s.forking_time_us);
    field_varint(restore, 4, s.restore_time_us);
    field_varint(restore, 5, s.pages_restored);
    std::vector<uint8_t> entry;
    field_message(entry, 2, restore);
    return image_file(img_service_magic, stats_magic, entry);
}

std::vector<uint8_t> encode_inventory() {
    // inventory_entry: img_version is the only required field. The real
    // image is myrt.img beside it; this file exists for callers that check.
    std::vector<uint8_t> inv;
    field_varint(inv, 1, criu_images_v1_1);
    return image_file(img_common_magic, inventory_magic, inv);
}

void make_directories(const std::string& path) {
    if (path.empty()) return;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        std::string cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("create directory {}", cur);
    }
    struct stat s {};
    if (::stat(path.c_str(), &s) != 0 || !S_ISDIR(s.st_mode)) fail("{} is not a directory", path);
}

void write_file_atomic(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
    std::string path = dir + "/" + name;
    std::string tmp = path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create {}", tmp);
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::write(fd.get(), bytes.data() + off, bytes.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::unlink(tmp.c_str());
            throw SystemError(e, "write " + tmp);
        }
        off += static_cast<size_t>(n);
    }
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        throw SystemError(e, "rename " + tmp + " to " + path);
    }
}

void write_file_atomic(const std::string& dir, const std::string& name, const std::string& text) {
    write_file_atomic(dir, name, std::vector<uint8_t>(text.begin(), text.end()));
}

}  // namespace myrt::cr::driver
