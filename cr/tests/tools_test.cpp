// `myrt image inspect` as a library call: JSON record by record, a summary,
// and a clear report (non-zero) for an invalid image.
#include "cr/image/host_info.hpp"
#include "cr/image/record_writer.hpp"
#include "cr/tools/image_inspect.hpp"
#include "cr/tools/image_layout.hpp"
#include "cr/transport/file_stream.hpp"
#include "util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

using namespace myrt::cr;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

struct ImageDir {
    fs::path dir = fs::temp_directory_path() / fmt::format("crbase-inspect-{}", ::getpid());
    ImageDir() {
        fs::create_directories(dir);
        transport::FileSink sink(tools::image_stream_path(dir.string()));
        image::RecordWriter w(sink);
        w.write_head(image::make_head(0));
        w.write_objref(1, 2);
        w.write_string("sleep", 1);
        w.write<image::RecordType::vma>(image::VmaRecord{0x1000, 0x3000, 0, 0, 0, 3, 0x22}, 1);
        std::vector<std::byte> pages(2 * 4096);
        w.write_pages(0x1000, 12, pages, 1);
        w.finish();
    }
    ~ImageDir() { fs::remove_all(dir); }
    std::string file() const { return tools::image_stream_path(dir.string()); }
};

}  // namespace

TEST(ImageInspect, PrintsEveryRecordAsJson) {
    ImageDir img;
    std::ostringstream out;
    ASSERT_EQ(tools::inspect_image(img.dir.string(), false, out), 0) << out.str();
    auto doc = nlohmann::json::parse(out.str());
    EXPECT_TRUE(doc["valid"].get<bool>());
    auto& records = doc["records"];
    ASSERT_EQ(records.size(), 6u);
    EXPECT_EQ(records[0]["type"], "HEAD");
    EXPECT_EQ(records[0]["payload"]["arch"], "x86_64");
    EXPECT_EQ(records[1]["type"], "OBJREF");
    EXPECT_EQ(records[1]["payload"]["kind_name"], "pipe");
    EXPECT_EQ(records[2]["payload"]["value"], "sleep");
    EXPECT_EQ(records[3]["payload"]["end"], "0x3000");
    EXPECT_EQ(records[4]["payload"]["nr_pages"], 2);
    EXPECT_EQ(records[5]["type"], "TAIL");
    EXPECT_EQ(records[5]["payload"]["record_count"], 5);
}

TEST(ImageInspect, SummaryCountsRecordsAndBytesPerType) {
    ImageDir img;
    std::ostringstream out;
    ASSERT_EQ(tools::inspect_image(img.file(), true, out), 0) << out.str();
    auto doc = nlohmann::json::parse(out.str());
    EXPECT_EQ(doc["records"], 6);
    EXPECT_EQ(doc["bytes"], fs::file_size(img.file()));
    EXPECT_EQ(doc["types"]["PAGES"]["count"], 1);
    EXPECT_EQ(doc["types"]["PAGES"]["payload_bytes"], 24 + 8192);
    EXPECT_EQ(doc["types"]["HEAD"]["count"], 1);
}

TEST(ImageInspect, ReportsWhereAndWhyAnImageIsInvalid) {
    ImageDir img;
    fs::resize_file(img.file(), fs::file_size(img.file()) - 30);
    std::ostringstream out;
    EXPECT_EQ(tools::inspect_image(img.file(), false, out), 1);
    auto doc = nlohmann::json::parse(out.str());
    EXPECT_FALSE(doc["valid"].get<bool>());
    EXPECT_EQ(doc["records"].size(), 5u) << "the records before the damage are still shown";
    EXPECT_THAT(doc["error"].get<std::string>(), HasSubstr(fmt::format("image truncated at offset {}", fs::file_size(img.file()))));

    std::ostringstream summary;
    EXPECT_EQ(tools::inspect_image(img.file(), true, summary), 1);
    EXPECT_THAT(summary.str(), HasSubstr("image truncated"));
}

TEST(ImageInspect, MissingImageThrowsNamingThePath) {
    std::ostringstream out;
    try {
        tools::inspect_image("/nonexistent/myrt.img", false, out);
        ADD_FAILURE();
    } catch (const myrt::Error& e) {
        EXPECT_THAT(std::string(e.what()), HasSubstr("/nonexistent/myrt.img"));
    }
}
