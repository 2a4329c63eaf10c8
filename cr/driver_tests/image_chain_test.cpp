// The parent chain of pre-dump images (cr/driver/image_chain.cpp) on
// synthetic images: depth bound, loops through the images' own parent paths,
// page resolution through several images, pages found nowhere.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "cr/driver/image_chain.hpp"
#include "cr/driver/sections.hpp"
#include "cr/image/host_info.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/transport/file_stream.hpp"
#include "util/error.hpp"

namespace myrt::cr::driver {
namespace {

namespace fs = std::filesystem;

struct Dir {
    fs::path path;
    Dir() {
        char tmpl[] = "/tmp/image_chain_test.XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~Dir() { fs::remove_all(path); }
};

// A pre-dump NAME in `root` with id {n, 1}, naming ../PARENT (or none), one
// process (pid 1) with `pages` as PAGES (one page each, contents = the page's
// first byte n) and `from_parent` as PARENT_PAGES.
void write_predump(const fs::path& root, const std::string& name, uint64_t n, uint32_t depth, const std::string& parent,
                   uint64_t parent_n, const std::vector<uint64_t>& pages, const std::vector<PageRun>& from_parent) {
    fs::create_directories(root / name);
    transport::FileSink sink((root / name / "myrt.img").string());
    image::RecordWriter w(sink);
    w.write_head(image::make_head(image::head_flag_pre_dump | (parent.empty() ? 0 : image::head_flag_has_parent)));
    Lineage l{{n, 1}, parent.empty() ? ImageId{} : ImageId{parent_n, 1}, depth, "c1", parent};
    write_lineage(w, l);
    w.write<image::RecordType::predump_process>(image::PredumpProcessRecord{1, 0}, pages_objref(0));
    for (const auto& r : from_parent)
        w.write<image::RecordType::parent_pages>(image::ParentPagesRecord{r.start, r.npages}, pages_objref(0));
    std::vector<std::byte> page(4096, std::byte(n));
    for (uint64_t a : pages) w.write_pages(a, 12, page, pages_objref(0));
    w.finish();
}

TEST(ImageChain, PagesResolveThroughEveryImage) {
    Dir d;
    fs::create_directories(d.path / "final");
    write_predump(d.path, "p1", 1, 0, "", 0, {0x10000, 0x11000, 0x12000}, {});
    write_predump(d.path, "p2", 2, 1, "../p1", 1, {0x11000}, {{0x10000, 1}, {0x12000, 1}});
    auto chain = open_image_chain((d.path / "final").string(), "../p2", "c1", ImageId{2, 1}, 1u, true);
    ASSERT_EQ(chain.images.size(), 2u);
    auto ext = resolve_parent_pages(chain, 1, {{0x10000, 3}});
    ASSERT_EQ(ext.size(), 3u);
    EXPECT_EQ(*ext[0].image, "../p1");  // 0x10000: p2 names it p1's
    EXPECT_EQ(*ext[1].image, "../p2");  // 0x11000: rewritten, in p2
    EXPECT_EQ(*ext[2].image, "../p1");
    EXPECT_THROW(resolve_parent_pages(chain, 1, {{0x13000, 1}}), Error);  // in no image
    EXPECT_THROW(resolve_parent_pages(chain, 2, {{0x10000, 1}}), Error);  // no such process
}

TEST(ImageChain, RefusesMismatchLoopAndDepth) {
    Dir d;
    fs::create_directories(d.path / "final");
    write_predump(d.path, "p1", 1, 0, "", 0, {0x10000}, {});
    EXPECT_THROW(open_image_chain((d.path / "final").string(), "../p1", "c2", std::nullopt, std::nullopt, false), Error);
    EXPECT_THROW(open_image_chain((d.path / "final").string(), "../p1", "c1", ImageId{9, 1}, std::nullopt, false), Error);
    // A pre-dump naming itself as its parent.
    write_predump(d.path, "self", 5, 1, "../self", 5, {}, {});
    try {
        open_image_chain((d.path / "final").string(), "../self", "c1", std::nullopt, std::nullopt, false);
        FAIL() << "a chain that loops was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("loops"), std::string::npos) << e.what();
    }
    // 66 images, each naming the one before: longer than the 64 a chain may be.
    write_predump(d.path, "q0", 100, 0, "", 0, {}, {});
    for (uint32_t i = 1; i <= 65; ++i)
        write_predump(d.path, "q" + std::to_string(i), 100 + i, std::min(i, image::max_chain_depth),
                      "../q" + std::to_string(i - 1), 100 + i - 1, {}, {});
    try {
        open_image_chain((d.path / "final").string(), "../q65", "c1", std::nullopt, std::nullopt, false);
        FAIL() << "a chain of 66 images was accepted";
    } catch (const Error& e) {
        EXPECT_TRUE(std::string(e.what()).find("longer than") != std::string::npos ||
                    std::string(e.what()).find("images behind it") != std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace myrt::cr::driver
