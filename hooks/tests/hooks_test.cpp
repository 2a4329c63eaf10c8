#include "hooks/hooks.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/error.hpp"
#include "util/log.hpp"

namespace fs = std::filesystem;
using myrt::hooks::Kind;
using myrt::spec::Hook;

namespace {

class HooksTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/myrt-hooks-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    static std::string slurp(const std::string& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    // A hook running `script` with /bin/sh; extra positional arguments follow.
    static Hook sh(const std::string& script, std::vector<std::string> extra = {}, std::vector<std::string> env = {},
                   std::optional<int> timeout = std::nullopt) {
        Hook h{"/bin/sh", {"sh", "-c", script}, std::move(env), timeout};
        for (auto& e : extra) h.args.push_back(std::move(e));
        return h;
    }

    static std::string error_of(Kind kind, const std::vector<Hook>& hooks, const std::string& state = "{}") {
        try {
            myrt::hooks::run(kind, hooks, state);
        } catch (const myrt::Error& e) {
            return e.what();
        }
        return "";
    }

    fs::path dir_;
};

const std::string kState = R"({"ociVersion":"1.2.0","id":"c1","status":"creating","pid":42,"bundle":"/b"})";

TEST(HookKinds, NamesAreTheConfigJsonKeys) {
    EXPECT_STREQ(myrt::hooks::kind_name(Kind::prestart), "prestart");
    EXPECT_STREQ(myrt::hooks::kind_name(Kind::create_runtime), "createRuntime");
    EXPECT_STREQ(myrt::hooks::kind_name(Kind::create_container), "createContainer");
    EXPECT_STREQ(myrt::hooks::kind_name(Kind::start_container), "startContainer");
    EXPECT_STREQ(myrt::hooks::kind_name(Kind::poststart), "poststart");
    EXPECT_STREQ(myrt::hooks::kind_name(Kind::poststop), "poststop");
}

TEST_F(HooksTest, RunsHooksInOrder) {
    auto log = path("order");
    myrt::hooks::run(Kind::prestart,
                     {sh("echo first >> " + log), sh("echo second >> " + log), sh("echo third >> " + log)}, kState);
    EXPECT_EQ(slurp(log), "first\nsecond\nthird\n");
}

TEST_F(HooksTest, StateJsonArrivesOnStdin) {
    auto out = path("stdin");
    myrt::hooks::run(Kind::create_runtime, {sh("cat > " + out)}, kState);
    EXPECT_EQ(slurp(out), kState);
}

TEST_F(HooksTest, LargeStateIsStreamedWhole) {
    std::string big = "{\"annotations\":\"" + std::string(3 << 20, 'x') + "\"}";  // larger than a pipe buffer
    auto out = path("count");
    myrt::hooks::run(Kind::create_runtime, {sh("wc -c > " + out)}, big);
    EXPECT_EQ(std::stoul(slurp(out)), big.size());
}

TEST_F(HooksTest, HookThatIgnoresStdinDoesNotBreakTheRuntime) {
    std::string big(3 << 20, 'x');
    myrt::hooks::run(Kind::prestart, {sh("exit 0")}, big);  // EPIPE, no SIGPIPE death
    SUCCEED();
}

TEST_F(HooksTest, ArgsArePassed) {
    auto out = path("args");
    myrt::hooks::run(Kind::create_container,
                     {sh("echo \"$0|$1|$2|$FOO\" > " + out, {"argzero", "one", "two words"}, {"FOO=bar baz"})},
                     kState);
    EXPECT_EQ(slurp(out), "argzero|one|two words|bar baz\n");
}

TEST_F(HooksTest, EnvironmentIsExactlyTheHooksEnv) {
    auto out = path("env");
    // cp copies its own environment block: nothing of the runtime's may leak in (no shell adds PWD).
    myrt::hooks::run(Kind::create_container,
                     {Hook{"/bin/cp", {"cp", "/proc/self/environ", out}, std::vector<std::string>{"FOO=bar baz", "HOOK_ONLY=1"}, 5}}, kState);
    EXPECT_EQ(slurp(out), std::string("FOO=bar baz\0HOOK_ONLY=1\0", 24));
}

TEST_F(HooksTest, WithoutEnvTheHookInheritsTheRuntimesEnvironment) {
    auto out = path("inherited");
    ::setenv("MYRT_HOOK_TEST_INHERITED", "from the runtime", 1);
    myrt::hooks::run(Kind::prestart, {Hook{"/bin/sh", {"sh", "-c", "echo \"$MYRT_HOOK_TEST_INHERITED\" > " + out}, std::nullopt, 5}},
                     kState);
    ::unsetenv("MYRT_HOOK_TEST_INHERITED");
    EXPECT_EQ(slurp(out), "from the runtime\n");
}

TEST_F(HooksTest, AnEmptyEnvListIsAnEmptyEnvironment) {
    auto out = path("empty-env");
    ::setenv("MYRT_HOOK_TEST_INHERITED", "from the runtime", 1);
    myrt::hooks::run(Kind::prestart,
                     {Hook{"/bin/cp", {"cp", "/proc/self/environ", out}, std::vector<std::string>{}, 5}}, kState);
    ::unsetenv("MYRT_HOOK_TEST_INHERITED");
    EXPECT_EQ(slurp(out), "");
}

TEST_F(HooksTest, EmptyArgsRunThePathAsArgvZero) {
    auto script = path("hook.sh");
    auto out = path("argv0");
    {
        std::ofstream f(script);
        f << "#!/bin/sh\necho \"$0 $#\" > " << out << "\n";
    }
    fs::permissions(script, fs::perms::owner_all);
    myrt::hooks::run(Kind::start_container, {Hook{script, {}, {}, std::nullopt}}, kState);
    EXPECT_EQ(slurp(out), script + " 0\n");
}

TEST_F(HooksTest, NonZeroExitThrowsWithStatusAndStderr) {
    auto msg = error_of(Kind::create_runtime, {sh("echo some output; echo boom >&2; exit 3")});
    EXPECT_EQ(msg, "error running createRuntime hook #0: createRuntime hook /bin/sh exited with status 3: boom");
}

TEST_F(HooksTest, StdoutIsReportedWhenStderrIsEmpty) {
    EXPECT_EQ(error_of(Kind::prestart, {sh("echo only-stdout; exit 1")}),
              "error running prestart hook #0: prestart hook /bin/sh exited with status 1: only-stdout");
    EXPECT_EQ(error_of(Kind::prestart, {sh("exit 7")}), "error running prestart hook #0: prestart hook /bin/sh exited with status 7");
}

TEST_F(HooksTest, StderrTailIsBounded) {
    auto msg = error_of(Kind::prestart, {sh("i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done; exit 2")});
    EXPECT_LT(msg.size(), 1200u);
    EXPECT_NE(msg.find("line1999"), std::string::npos) << msg;
}

TEST_F(HooksTest, KilledBySignalThrows) {
    auto msg = error_of(Kind::create_container, {sh("kill -9 $$")});
    EXPECT_EQ(msg, "error running createContainer hook #0: createContainer hook /bin/sh was killed by signal 9 (SIGKILL)");
}

TEST_F(HooksTest, FailureStopsTheRemainingHooks) {
    auto log = path("after");
    auto msg = error_of(Kind::prestart, {sh("exit 1"), sh("echo ran > " + log)});
    EXPECT_FALSE(msg.empty());
    EXPECT_FALSE(fs::exists(log));
}

TEST_F(HooksTest, TimeoutKillsTheHook) {
    auto start = std::chrono::steady_clock::now();
    auto msg = error_of(Kind::start_container, {sh("echo waiting >&2; exec sleep 30", {}, {}, 1)});
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(msg, "error running startContainer hook #0: startContainer hook /bin/sh timed out after 1s and was killed: waiting");
    EXPECT_GE(elapsed, std::chrono::milliseconds(950));
    EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(HooksTest, TimeoutAppliesToAHookThatFloodsItsOutput) {
    auto start = std::chrono::steady_clock::now();
    auto msg = error_of(Kind::prestart, {sh("while :; do echo spam; done", {}, {}, 1)});
    EXPECT_NE(msg.find("timed out after 1s"), std::string::npos) << msg;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(HooksTest, HookWithinItsTimeoutSucceeds) {
    EXPECT_NO_THROW(myrt::hooks::run(Kind::prestart, {sh("sleep 0.1", {}, {}, 5)}, kState));
}

TEST_F(HooksTest, BackgroundChildHoldingStdoutDoesNotBlock) {
    auto start = std::chrono::steady_clock::now();
    // The hook exits at once; its background child keeps the output pipe open for 10 s.
    auto pidfile = path("bgpid");
    myrt::hooks::run(Kind::poststart, {sh("sleep 10 & echo $! > " + pidfile)}, kState);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    ::kill(std::stoi(slurp(pidfile)), SIGKILL);  // the test started it; do not leave it behind
}

TEST_F(HooksTest, MissingProgramIsAnErrorNamingIt) {
    auto msg = error_of(Kind::prestart, {Hook{"/nonexistent/hook", {}, {}, std::nullopt}});
    EXPECT_NE(msg.find("prestart hook /nonexistent/hook"), std::string::npos) << msg;
    EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
}

TEST_F(HooksTest, RelativePathAndBadTimeoutAreRejected) {
    EXPECT_EQ(error_of(Kind::poststop, {Hook{"bin/true", {}, {}, std::nullopt}}),
              "error running poststop hook #0: poststop hook path \"bin/true\" must be absolute");
    EXPECT_EQ(error_of(Kind::poststop, {Hook{"/bin/true", {}, {}, 0}}),
              "error running poststop hook #0: poststop hook /bin/true: timeout 0 must be a positive number of seconds");
}

TEST_F(HooksTest, WarnOnlyRunsEveryHookAndLogsFailures) {
    auto logfile = path("myrt.log");
    myrt::log::configure(logfile, myrt::log::Format::text, myrt::log::Level::info);
    auto out = path("ran");
    EXPECT_NO_THROW(myrt::hooks::run_warn_only(
        Kind::poststop, {sh("echo bad >&2; exit 4"), sh("echo ran > " + out), sh("exit 5", {}, {}, 1)}, kState));
    EXPECT_EQ(slurp(out), "ran\n");
    auto log = slurp(logfile);
    EXPECT_NE(log.find("level=warning msg=\"poststop hook /bin/sh exited with status 4: bad\""), std::string::npos)
        << log;
    EXPECT_NE(log.find("poststop hook /bin/sh exited with status 5"), std::string::npos) << log;
    myrt::log::configure("", myrt::log::Format::text, myrt::log::Level::info);
}

}  // namespace
