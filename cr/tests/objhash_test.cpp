// The object hash: first-seen objrefs, one entry per object, counted inside
// references, reserved objrefs, reverse-leak and unvisited checks, the
// restore-side objref -> resource table, and the deferred-work queue.
#include "cr/objhash/objhash.hpp"

#include "util/fd.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>

using namespace myrt::cr::objhash;
using ::testing::HasSubstr;

namespace {
ObjectKey pipe_key(uint64_t ino) { return ObjectKey{kind::pipe, 12, ino, 0}; }
std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const myrt::Error& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST(ObjHash, ObjrefsFollowFirstSeenOrderAndDedup) {
    ObjHash h;
    auto a = h.collect(pipe_key(500), "pipe:[500]", Holder{10, 3, "fd 3"});
    auto b = h.collect(pipe_key(100), "pipe:[100]", Holder{10, 4, "fd 4"});
    auto a2 = h.collect(pipe_key(500), "pipe:[500]", Holder{11, 3, "fd 3"});
    auto c = h.collect(ObjectKey{kind::ns, 4, 4026531838, 0}, "uts:[4026531838]", Holder{10, -1, "its uts namespace"});
    EXPECT_EQ(a.object.objref, 1u);
    EXPECT_EQ(b.object.objref, 2u);
    EXPECT_EQ(c.object.objref, 3u);
    EXPECT_TRUE(a.first);
    EXPECT_FALSE(a2.first);
    EXPECT_EQ(&a2.object, &a.object);
    EXPECT_EQ(a.object.inside_refs, 2u);
    EXPECT_EQ(b.object.inside_refs, 1u);
    EXPECT_EQ(a.object.first_holder.pid, 10);
    EXPECT_EQ(h.size(), 3u);
    auto all = h.objects();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0]->name, "pipe:[500]");
    EXPECT_EQ(all[2]->name, "uts:[4026531838]");
    EXPECT_EQ(h.find(2)->name, "pipe:[100]");
    EXPECT_EQ(h.find(pipe_key(100))->objref, 2u);
    EXPECT_EQ(h.find(0), nullptr);
    EXPECT_EQ(h.find(4), nullptr);
}

TEST(ObjHash, InstancesTellApartObjectsWithTheSameInode) {
    ObjHash h;
    h.collect(ObjectKey{kind::file, 1, 77, 0}, "/a", Holder{});
    h.collect(ObjectKey{kind::file, 1, 77, 1}, "/a", Holder{});
    h.collect(ObjectKey{kind::file, 1, 78, 0}, "/b", Holder{});
    EXPECT_EQ(h.instances(kind::file, 1, 77).size(), 2u);
    EXPECT_EQ(h.instances(kind::file, 1, 78).size(), 1u);
    EXPECT_TRUE(h.instances(kind::pipe, 1, 77).empty());
}

TEST(ObjHash, ReservedObjrefsTakeTheirPlaceInTheSequence) {
    ObjHash h;
    h.collect(pipe_key(1), "pipe:[1]", Holder{});
    uint64_t reserved = h.reserve();
    auto next = h.collect(pipe_key(2), "pipe:[2]", Holder{});
    EXPECT_EQ(reserved, 2u);
    EXPECT_EQ(next.object.objref, 3u);
    EXPECT_EQ(h.find(reserved), nullptr);
    EXPECT_EQ(h.objects().size(), 2u);
    h.install(reserved, kind::file, std::string("ptmx"));  // restore may fill a reserved objref
    EXPECT_EQ(h.fetch<std::string>(reserved, kind::file), "ptmx");
}

TEST(ObjHash, ObjectFirstSeenDuringTheDumpIsAReverseLeak) {
    ObjHash h;
    h.collect(pipe_key(1), "pipe:[1]", Holder{});
    h.begin_dump(true);
    EXPECT_FALSE(h.lookup_or_add(pipe_key(1), "pipe:[1]").first);
    EXPECT_THAT(message_of([&] { h.lookup_or_add(pipe_key(2), "pipe:[2]"); }),
                HasSubstr("leak: pipe pipe:[2] was first seen during the dump"));
}

TEST(ObjHash, SubtreeModeAllowsObjectsFirstSeenDuringTheDump) {
    ObjHash h;
    h.begin_dump(false);
    auto r = h.lookup_or_add(pipe_key(2), "pipe:[2]");
    EXPECT_TRUE(r.first);
    EXPECT_EQ(r.object.objref, 1u);
}

TEST(ObjHash, UnvisitedObjectsFailTheCheckpoint) {
    ObjHash h;
    h.collect(pipe_key(1), "pipe:[1]", Holder{});
    h.collect(pipe_key(2), "pipe:[2]", Holder{});
    h.collect(pipe_key(3), "pipe:[3]", Holder{});
    h.begin_dump(true);
    h.mark_dumped(1);
    h.mark_visited(3);
    EXPECT_THAT(message_of([&] { h.check_unvisited(); }), HasSubstr("1 collected object was never visited by the dump"));
    EXPECT_THAT(message_of([&] { h.check_unvisited(); }), HasSubstr("pipe pipe:[2] (objref 2)"));
    h.mark_visited(2);
    EXPECT_NO_THROW(h.check_unvisited());
    EXPECT_TRUE(h.find(1)->dumped);
    EXPECT_FALSE(h.find(3)->dumped);
}

TEST(ObjHash, RestoreSideMapsObjrefsToLiveResources) {
    ObjHash h;
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    h.install(4, kind::pipe, myrt::UniqueFd(fd));
    EXPECT_EQ(h.fetch<myrt::UniqueFd>(4, kind::pipe).get(), fd);
    EXPECT_TRUE(h.installed(4));
    EXPECT_THAT(message_of([&] { h.install(4, kind::pipe, 1); }), HasSubstr("introduces objref 4 twice"));
    EXPECT_THAT(message_of([&] { h.install(0, kind::pipe, 1); }), HasSubstr("objref 0"));
    EXPECT_THAT(message_of([&] { h.fetch<myrt::UniqueFd>(5, kind::pipe); }), HasSubstr("refers to objref 5 (pipe), which no earlier record introduced"));
    EXPECT_THAT(message_of([&] { h.fetch<myrt::UniqueFd>(4, kind::file); }),
                HasSubstr("uses objref 4 as a file, but it was introduced as a pipe"));
    EXPECT_THROW(h.fetch<int>(4, kind::pipe), myrt::Error);
}

TEST(DeferredQueue, RunsInOrderOnce) {
    DeferredQueue q;
    std::vector<int> ran;
    q.push("first", [&] { ran.push_back(1); });
    q.push("second", [&] {
        ran.push_back(2);
        q.push("queued while running", [&] { ran.push_back(4); });
    });
    q.push("third", [&] { ran.push_back(3); });
    EXPECT_EQ(q.pending(), 3u);
    q.run();
    EXPECT_EQ(ran, (std::vector<int>{1, 2, 3, 4}));
    EXPECT_EQ(q.pending(), 0u);
    q.run();
    EXPECT_EQ(ran.size(), 4u);
}

TEST(DeferredQueue, FailureNamesTheItemAndStops) {
    DeferredQueue q;
    std::vector<int> ran;
    q.push("remove shm 5", [&] { ran.push_back(1); });
    q.push("unlink /tmp/sock", [] { myrt::fail("no such file"); });
    q.push("never", [&] { ran.push_back(3); });
    EXPECT_THAT(message_of([&] { q.run(); }), HasSubstr("deferred work 'unlink /tmp/sock' failed: no such file"));
    EXPECT_EQ(ran, std::vector<int>{1});
    EXPECT_EQ(q.pending(), 0u);
}
