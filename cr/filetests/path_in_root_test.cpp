// Image paths the restore accepts: only those a checkpoint writes.
#include <gtest/gtest.h>

#include "cr/files/path_in_root.hpp"

using myrt::cr::files::non_canonical_reason;

TEST(PathInRoot, PathsAsTheKernelPrintsThemAreCanonical) {
    for (const char* p : {"/", "/data/secret", "/bin/crwork (deleted)", "/a/...", "/a/.hidden", "/memfd:x (deleted)"})
        EXPECT_FALSE(non_canonical_reason(p)) << p;
}

TEST(PathInRoot, ForgedPathsAreNamedWithTheReason) {
    EXPECT_EQ(non_canonical_reason("data/secret"), "it is not an absolute path");
    EXPECT_EQ(non_canonical_reason(""), "it is not an absolute path");
    EXPECT_EQ(non_canonical_reason("/data/../../etc/shadow"), "it has a \"..\" component");
    EXPECT_EQ(non_canonical_reason("/.."), "it has a \"..\" component");
    EXPECT_EQ(non_canonical_reason("/data/./x"), "it has a \".\" component");
    EXPECT_TRUE(non_canonical_reason("/data//x")->find("empty component") != std::string::npos);
    EXPECT_TRUE(non_canonical_reason("/data/")->find("empty component") != std::string::npos);
    EXPECT_EQ(non_canonical_reason(std::string_view("/a\0b", 4)), "it holds a NUL byte");
}
