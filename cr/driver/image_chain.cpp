#include "cr/driver/image_chain.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "cr/driver/sections.hpp"
#include "cr/image/host_info.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/memory/cow_shared.hpp"
#include "cr/memory/page_plan.hpp"
#include "cr/transport/file_stream.hpp"
#include "util/error.hpp"

namespace myrt::cr::driver {
namespace {

constexpr size_t kMaxContainerId = 1024;
constexpr uint64_t kMaxRunPages = 1ull << 35;  // 128 TiB: more than a 47-bit address space

bool is_zero(const ImageId& id) { return id[0] == 0 && id[1] == 0; }

std::vector<PageRun> extents_as_runs(const std::vector<ChainProcessPages::Extent>& pages) {
    std::vector<PageRun> runs;
    for (const auto& e : pages) runs.push_back({e.start, (e.end - e.start) / kPageSize});
    return coalesce_runs(std::move(runs));
}

// One pre-dump image, read as strictly as a first pass reads a container image.
ChainImage parse_predump(transport::Source& source, const std::string& name, bool verify_pages,
                         const ChainLimits& limits, uint64_t& records_left) {
    ChainImage img;
    img.name = name;
    image::RecordReader reader(source, verify_pages ? image::PageContents::read : image::PageContents::skip);
    const auto& head = reader.read_head();
    image::check_cpu_compatible(head);
    if (!(head.flags & image::head_flag_pre_dump))
        fail("parent image {} is not a pre-dump (HEAD flags {:#x}): only a checkpoint made with --pre-dump can be a "
             "parent", name, head.flags);
    auto lineage = read_lineage(reader);
    if (!lineage) fail("parent image {} has no IMAGE_LINEAGE", name);
    img.lineage = *lineage;
    ChainProcessPages* current = nullptr;
    int32_t current_pid = 0;
    auto finish_process = [&] {
        if (current && !intersect_runs(extents_as_runs(current->pages), current->from_parent).empty())
            reader.fail_at("process {} has pages both in PAGES and in PARENT_PAGES", current_pid);
    };
    while (auto h = reader.next()) {
        if (records_left == 0)
            reader.fail_at("the parent chain holds more than {} page records, the most a restore indexes",
                           limits.max_page_records);
        --records_left;
        auto type = static_cast<image::RecordType>(h->type);
        if (type == image::RecordType::predump_process) {
            finish_process();
            auto p = reader.read_fixed<image::RecordType::predump_process>();
            if (p.ns_pid <= 0 || p.reserved != 0) reader.fail_at("PREDUMP_PROCESS with pid {}", p.ns_pid);
            if (img.processes.size() >= limits.max_processes)
                reader.fail_at("more than {} processes in a pre-dump image", limits.max_processes);
            if (h->objref != pages_objref(static_cast<uint32_t>(img.processes.size())))
                reader.fail_at("PREDUMP_PROCESS with objref {:#x} out of order", h->objref);
            auto [it, fresh] = img.processes.emplace(p.ns_pid, ChainProcessPages{});
            if (!fresh) reader.fail_at("pid {} appears twice in a pre-dump image", p.ns_pid);
            current = &it->second;
            current_pid = p.ns_pid;
        } else if (type == image::RecordType::parent_pages || type == image::RecordType::pages) {
            if (!current || h->objref != pages_objref(static_cast<uint32_t>(img.processes.size() - 1)))
                reader.fail_at("{} record outside the memory of a process", image::record_type_name(h->type));
            uint64_t start, npages;
            if (type == image::RecordType::parent_pages) {
                auto pp = reader.read_fixed<image::RecordType::parent_pages>();
                if (!(head.flags & image::head_flag_has_parent)) reader.fail_at("PARENT_PAGES in an image without a parent");
                if (!current->pages.empty()) reader.fail_at("PARENT_PAGES after the PAGES of process {}", current_pid);
                start = pp.vaddr;
                npages = pp.nr_pages;
            } else {
                auto p = reader.read_fixed<image::RecordType::pages>();
                uint64_t len = 0;
                if (!image::pages_contents_len(p, len) || p.page_shift != 12) reader.fail_at("PAGES with page shift {}", p.page_shift);
                start = p.vaddr;
                npages = p.nr_pages;
            }
            if ((start % kPageSize) || npages == 0 || npages > kMaxRunPages || start + npages * kPageSize < start ||
                start + npages * kPageSize > (1ull << 57))
                reader.fail_at("{} at {:#x} with {} pages is out of range", image::record_type_name(h->type), start, npages);
            uint64_t end = start + npages * kPageSize;
            if (type == image::RecordType::parent_pages) {
                auto& runs = current->from_parent;
                if (!runs.empty() && start < runs.back().start + runs.back().npages * kPageSize)
                    reader.fail_at("PARENT_PAGES at {:#x} out of order", start);
                runs.push_back({start, npages});
                img.parent_pages += npages;
            } else {
                auto& pages = current->pages;
                if (!pages.empty() && start < pages.back().end) reader.fail_at("PAGES at {:#x} out of order", start);
                pages.push_back({start, end, reader.offset()});
                img.pages += npages;
            }
        } else {
            reader.fail_at("unexpected {} record in a pre-dump image", image::record_type_name(h->type));
        }
    }
    finish_process();
    return img;
}

ChainImage read_chain_image(UniqueFd fd, const std::string& name, const std::string& file, bool verify_pages,
                            const ChainLimits& limits, uint64_t& records_left) {
    auto shared = std::make_shared<UniqueFd>(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
    if (!*shared) throw_errno("duplicating the fd of {}", file);
    transport::FileSource source(std::move(fd), file);
    auto img = parse_predump(source, name, verify_pages, limits, records_left);
    img.file = file;
    img.fd = std::move(shared);
    return img;
}

}  // namespace

ChainImage read_predump_image(transport::Source& source, const std::string& name, const ChainLimits& limits) {
    uint64_t records_left = limits.max_page_records;
    return parse_predump(source, name, true, limits, records_left);
}

std::string format_image_id(const ImageId& id) { return fmt::format("{:016x}{:016x}", id[0], id[1]); }

ImageId new_image_id() {
    ImageId id{};
    if (::getrandom(id.data(), sizeof id, 0) != static_cast<ssize_t>(sizeof id)) throw_errno("getrandom");
    if (is_zero(id)) id[1] = 1;
    return id;
}

void check_parent_path(const std::string& p) {
    auto bad = [&](const char* why) {
        fail("parent image path \"{}\" is refused: {} (it must be ../NAME, a sibling directory of the image)", p, why);
    };
    if (p.size() < 4 || p.compare(0, 3, "../") != 0) bad("it does not start with ../");
    std::string name = p.substr(3);
    if (name.size() > NAME_MAX) bad("the name is too long");
    if (name == "." || name == "..") bad("the name is . or ..");
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            bad("the name has a character other than letters, digits, '.', '_' and '-'");
}

std::optional<Lineage> read_lineage(image::RecordReader& reader) {
    const auto& head = reader.head();
    if (!(head.flags & (image::head_flag_pre_dump | image::head_flag_has_parent))) return std::nullopt;
    image::RecordHeader h{};
    auto rec = reader.expect<image::RecordType::image_lineage>(&h);
    if (h.objref != 0 || rec.reserved != 0) reader.fail_at("IMAGE_LINEAGE with objref {:#x}", h.objref);
    Lineage l;
    l.id = {rec.image_id[0], rec.image_id[1]};
    l.parent_id = {rec.parent_id[0], rec.parent_id[1]};
    l.depth = rec.depth;
    if (is_zero(l.id)) reader.fail_at("IMAGE_LINEAGE without an image id");
    const bool has_parent = head.flags & image::head_flag_has_parent;
    if (has_parent != (l.depth > 0) || has_parent == is_zero(l.parent_id) || l.depth > image::max_chain_depth)
        reader.fail_at("IMAGE_LINEAGE depth {} does not agree with its parent (HEAD flags {:#x})", l.depth, head.flags);
    auto string_after = [&](const char* what) {
        auto s = reader.next();
        if (!s || s->type != static_cast<uint32_t>(image::RecordType::string) || s->objref != 0)
            reader.fail_at("IMAGE_LINEAGE is not followed by the {}", what);
        return reader.read_string();
    };
    l.container_id = string_after("container id");
    if (l.container_id.empty() || l.container_id.size() > kMaxContainerId)
        reader.fail_at("IMAGE_LINEAGE container id of {} bytes", l.container_id.size());
    if (has_parent) {
        l.parent_path = string_after("parent path");
        check_parent_path(l.parent_path);
    }
    return l;
}

void write_lineage(image::RecordWriter& writer, const Lineage& l) {
    image::ImageLineageRecord rec{{l.id[0], l.id[1]}, {l.parent_id[0], l.parent_id[1]}, l.depth, 0};
    writer.write<image::RecordType::image_lineage>(rec, 0);
    writer.write_string(l.container_id, 0);
    if (!l.parent_path.empty()) writer.write_string(l.parent_path, 0);
}

std::vector<PageRun> ChainProcessPages::all() const {
    auto runs = extents_as_runs(pages);
    runs.insert(runs.end(), from_parent.begin(), from_parent.end());
    std::sort(runs.begin(), runs.end(), [](const PageRun& a, const PageRun& b) { return a.start < b.start; });
    return coalesce_runs(std::move(runs));
}

ImageChain open_image_chain(const std::string& image_dir, const std::string& parent_path,
                            const std::string& container_id, const std::optional<ImageId>& expect_parent,
                            const std::optional<uint32_t>& expect_depth, bool verify_pages, const ChainLimits& limits) {
    check_parent_path(parent_path);
    char resolved[PATH_MAX];
    if (!::realpath(image_dir.c_str(), resolved)) throw_errno("resolving image directory {}", image_dir);
    std::string base = resolved;
    std::string siblings = base.substr(0, base.rfind('/'));
    if (siblings.empty()) siblings = "/";
    UniqueFd sibling_dir(::open(siblings.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!sibling_dir) throw_errno("opening {}, where the parent images are", siblings);
    std::set<std::pair<dev_t, ino_t>> seen;
    struct stat st {};
    if (::stat(base.c_str(), &st) < 0) throw_errno("stat {}", base);
    seen.insert({st.st_dev, st.st_ino});

    ImageChain chain;
    uint64_t records_left = limits.max_page_records;
    std::string rel = parent_path, child = image_dir;
    std::optional<ImageId> want_id = expect_parent;
    std::optional<uint32_t> want_depth = expect_depth;
    for (;;) {
        if (chain.images.size() >= image::max_chain_depth)
            fail("the parent chain of {} is longer than {} images", image_dir, image::max_chain_depth);
        std::string name = rel.substr(3);
        std::string where = siblings + "/" + name;
        UniqueFd dir(::openat(sibling_dir.get(), name.c_str(), O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!dir) throw_errno("parent image {} of {} ({})", rel, child, where);
        if (::fstat(dir.get(), &st) < 0) throw_errno("stat {}", where);
        if (!seen.insert({st.st_dev, st.st_ino}).second)
            fail("the parent chain of {} loops: {} ({}) comes back", image_dir, rel, where);
        UniqueFd file(::openat(dir.get(), "myrt.img", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        if (!file) throw_errno("parent image {} of {}: {}/myrt.img", rel, child, where);
        if (::fstat(file.get(), &st) < 0 || !S_ISREG(st.st_mode))
            fail("parent image {} of {}: {}/myrt.img is not a regular file", rel, child, where);
        auto img = read_chain_image(std::move(file), rel, where + "/myrt.img", verify_pages, limits, records_left);
        const Lineage l = img.lineage;  // a copy: img is moved into the chain below
        if (l.container_id != container_id)
            fail("parent image {} of {} is a pre-dump of container \"{}\", not of \"{}\"", rel, child, l.container_id,
                 container_id);
        if (want_id && l.id != *want_id)
            fail("parent image {} of {} is image {}, but {} was made from image {}", rel, child, format_image_id(l.id),
                 child, format_image_id(*want_id));
        if (want_depth && l.depth != *want_depth)
            fail("parent image {} of {} has {} images behind it, {} expected", rel, child, l.depth, *want_depth);
        chain.images.push_back(std::move(img));
        if (l.depth == 0) break;
        want_id = l.parent_id;
        want_depth = l.depth - 1;
        child = rel;
        rel = l.parent_path;
    }
    return chain;
}

std::vector<ParentExtent> resolve_parent_pages(const ImageChain& chain, int32_t ns_pid, const std::vector<PageRun>& runs) {
    std::vector<ParentExtent> out;
    std::vector<PageRun> pending = runs;
    for (size_t level = 0; !pending.empty(); ++level) {
        if (level >= chain.images.size())
            fail("pages {:#x}+{} of process {} are in PARENT_PAGES but in no image of the chain", pending[0].start,
                 pending[0].npages, ns_pid);
        const auto& img = chain.images[level];
        auto it = img.processes.find(ns_pid);
        if (it == img.processes.end())
            fail("pages {:#x}+{} of process {} are in PARENT_PAGES but parent image {} has no process {}",
                 pending[0].start, pending[0].npages, ns_pid, img.name, ns_pid);
        const auto& pp = it->second;
        // Pages held here: extents of this file.
        size_t k = 0;
        for (const auto& r : pending) {
            uint64_t rs = r.start, re = r.start + r.npages * kPageSize;
            while (k < pp.pages.size() && pp.pages[k].end <= rs) ++k;
            for (size_t e = k; e < pp.pages.size() && pp.pages[e].start < re; ++e) {
                uint64_t s = std::max(rs, pp.pages[e].start), en = std::min(re, pp.pages[e].end);
                if (s < en) out.push_back({s, en, pp.pages[e].contents_offset + (s - pp.pages[e].start), img.fd, &img.name});
            }
        }
        auto rest = subtract_runs(pending, extents_as_runs(pp.pages));
        auto missing = subtract_runs(rest, pp.from_parent);
        if (!missing.empty())
            fail("pages {:#x}+{} of process {} are in PARENT_PAGES but parent image {} holds them nowhere",
                 missing[0].start, missing[0].npages, ns_pid, img.name);
        pending = intersect_runs(rest, pp.from_parent);
    }
    std::sort(out.begin(), out.end(), [](const ParentExtent& a, const ParentExtent& b) { return a.start < b.start; });
    return out;
}

}  // namespace myrt::cr::driver
