#pragma once
// Chains of images: a pre-dump (HEAD flag pre_dump) holds memory only; the
// next pre-dump or the final checkpoint made with --parent-path holds only
// the pages written since and names the rest (PARENT_PAGES) as its parent's.
// A restore reads those pages through the chain.
//
// The parent is named by a path relative to the image's directory, and the
// chain is untrusted like any image: every parent must be a sibling directory
// ("../NAME", NAME one plain component; opened without following symlinks),
// no directory may appear twice, the chain is at most image::max_chain_depth
// long, each image must be the one its child was made from (IMAGE_LINEAGE
// ids) and of the same container. Each parent's records are checked as
// strictly as an image's first pass.
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cr/image/record_reader.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/image/records.hpp"
#include "cr/memory/pagemap.hpp"
#include "cr/transport/source.hpp"
#include "util/fd.hpp"

namespace myrt::cr::driver {

using ImageId = std::array<uint64_t, 2>;
std::string format_image_id(const ImageId& id);
ImageId new_image_id();  // random (getrandom)

// IMAGE_LINEAGE and its strings, as read after HEAD.
struct Lineage {
    ImageId id{};
    ImageId parent_id{};
    uint32_t depth = 0;
    std::string container_id;
    std::string parent_path;  // "" without a parent
};
// Reads IMAGE_LINEAGE + STRINGs right after HEAD when the HEAD flags say there is one
// (pre_dump or has_parent), checking the path's form and the depth; nullopt otherwise.
std::optional<Lineage> read_lineage(image::RecordReader& reader);
void write_lineage(image::RecordWriter& writer, const Lineage& l);

// The pages of one process in one image of the chain.
struct ChainProcessPages {
    struct Extent {
        uint64_t start, end;      // bytes
        uint64_t contents_offset; // in the image file
    };
    std::vector<Extent> pages;          // PAGES, ascending
    std::vector<PageRun> from_parent;   // PARENT_PAGES, ascending
    // pages and from_parent together: every page this image can give.
    std::vector<PageRun> all() const;
};

struct ChainImage {
    std::string name;   // as named by its child ("../P1"), for messages
    std::string file;   // the image file's path
    Lineage lineage;
    std::map<int32_t, ChainProcessPages> processes;  // by pid in the container
    uint64_t pages = 0;         // in PAGES records
    uint64_t parent_pages = 0;  // in PARENT_PAGES records
    std::shared_ptr<UniqueFd> fd;  // the image file, open for the fill
};

struct ImageChain {
    std::vector<ChainImage> images;  // [0] the direct parent, then its parent...
    bool empty() const { return images.empty(); }
};

struct ChainLimits {
    uint64_t max_page_records = 4ull << 20;  // all images together
    uint32_t max_processes = 1u << 16;       // per image
};

// Opens and checks the chain that starts at `parent_path`, relative to
// `image_dir` (the child's directory). The first parent must belong to
// `container_id` and, if `expect_parent` is set, be that image. With
// `verify_pages`, page contents are read and checked against each TAIL
// (a restore); without, only the records (a checkpoint's page selection).
// `expect_depth`: how many images lie behind the first parent, when known.
ImageChain open_image_chain(const std::string& image_dir, const std::string& parent_path,
                            const std::string& container_id, const std::optional<ImageId>& expect_parent,
                            const std::optional<uint32_t>& expect_depth, bool verify_pages,
                            const ChainLimits& limits = {});

// Where the contents of `runs` of process `ns_pid` lie in the chain: extents
// of image files, ascending. Every page must be in some image of the chain.
struct ParentExtent {
    uint64_t start, end;
    uint64_t offset;                 // of start in the file
    std::shared_ptr<UniqueFd> fd;
    const std::string* image;        // ChainImage::name
};
std::vector<ParentExtent> resolve_parent_pages(const ImageChain& chain, int32_t ns_pid,
                                               const std::vector<PageRun>& runs);

// One pre-dump image from any source, checked as a chain member is (the fuzzer).
ChainImage read_predump_image(transport::Source& source, const std::string& name, const ChainLimits& limits = {});

// A parent path must be "../NAME": NAME a plain component of [A-Za-z0-9._-].
void check_parent_path(const std::string& parent_path);

}  // namespace myrt::cr::driver
