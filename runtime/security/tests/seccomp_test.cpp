#include "runtime/security/seccomp.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "runtime/security/tests/child_process.hpp"
#include "util/error.hpp"

using myrt::security::SeccompFilter;
using myrt::spec::Seccomp;
using myrt::spec::SeccompArg;
using myrt::spec::SeccompSyscall;
using myrt::testing::run_in_child;

namespace {

Seccomp allow_by_default(std::vector<SeccompSyscall> syscalls) {
    Seccomp s;
    s.default_action = "SCMP_ACT_ALLOW";
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    s.syscalls = std::move(syscalls);
    return s;
}

SeccompSyscall errno_rule(std::vector<std::string> names, std::optional<uint32_t> errno_ret,
                          std::vector<SeccompArg> args = {}) {
    return SeccompSyscall{std::move(names), "SCMP_ACT_ERRNO", errno_ret, std::move(args)};
}

// errno of a raw syscall, or 0 when it succeeded.
template <class... A>
int errno_of(long nr, A... a) {
    errno = 0;
    long rc = ::syscall(nr, a...);
    return rc < 0 ? errno : 0;
}

std::string error_of(const Seccomp& s) {
    try {
        SeccompFilter f(s);
    } catch (const myrt::Error& e) {
        return e.what();
    }
    return "";
}

TEST(Seccomp, ErrnoRuleReturnsErrnoRet) {
    SeccompFilter filter(allow_by_default({errno_rule({"getcwd"}, ENOMSG), errno_rule({"mkdir", "mkdirat"}, EROFS)}));
    auto r = run_in_child([&] {
        filter.load();
        char buf[256];
        if (errno_of(SYS_getcwd, buf, sizeof(buf)) != ENOMSG) return 1;
        if (errno_of(SYS_mkdirat, AT_FDCWD, "/tmp/myrt-seccomp-never", 0700) != EROFS) return 2;
        if (errno_of(SYS_getpid) != 0) return 3;  // everything else still allowed
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, ErrnoWithoutErrnoRetIsEperm) {
    SeccompFilter filter(allow_by_default({errno_rule({"getcwd"}, std::nullopt)}));
    auto r = run_in_child([&] {
        filter.load();
        char buf[256];
        return errno_of(SYS_getcwd, buf, sizeof(buf)) == EPERM ? 0 : 1;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, ArgumentEqBlocksOnlyTheMatchingCall) {
    // getpgid(4242) would be ESRCH (or a real pgid); the filter turns exactly that call into EACCES.
    SeccompFilter filter(allow_by_default({errno_rule({"getpgid"}, EACCES, {SeccompArg{0, 4242, 0, "SCMP_CMP_EQ"}})}));
    auto r = run_in_child([&] {
        filter.load();
        if (errno_of(SYS_getpgid, 4242) != EACCES) return 1;
        if (errno_of(SYS_getpgid, 0) != 0) return 2;
        if (errno_of(SYS_getpgid, 4243) == EACCES) return 3;
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, MaskedEqUsesValueAsMaskAndValueTwoAsDatum) {
    SeccompFilter filter(
        allow_by_default({errno_rule({"getpgid"}, EACCES, {SeccompArg{0, 0xff, 0x42, "SCMP_CMP_MASKED_EQ"}})}));
    auto r = run_in_child([&] {
        filter.load();
        if (errno_of(SYS_getpgid, 0x142) != EACCES) return 1;
        if (errno_of(SYS_getpgid, 0x7742) != EACCES) return 2;
        if (errno_of(SYS_getpgid, 0x143) == EACCES) return 3;
        if (errno_of(SYS_getpgid, 0xff) == EACCES) return 4;  // value alone must not be taken as datum
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

struct OpCase {
    const char* op;
    uint64_t value, value_two;
    long blocked, allowed;
};

std::ostream& operator<<(std::ostream& os, const OpCase& c) {
    return os << c.op << " value=" << c.value << " valueTwo=" << c.value_two;
}

class SeccompOps : public ::testing::TestWithParam<OpCase> {};

TEST_P(SeccompOps, BlocksOnlyWhatTheOperatorMatches) {
    auto c = GetParam();
    SeccompFilter filter(allow_by_default({errno_rule({"getpgid"}, EACCES, {SeccompArg{0, c.value, c.value_two, c.op}})}));
    auto r = run_in_child([&] {
        filter.load();
        if (errno_of(SYS_getpgid, c.blocked) != EACCES) return 1;
        if (errno_of(SYS_getpgid, c.allowed) == EACCES) return 2;
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << c.op << ": " << r.describe();
}

INSTANTIATE_TEST_SUITE_P(AllOperators, SeccompOps,
                         ::testing::Values(OpCase{"SCMP_CMP_EQ", 7, 0, 7, 8}, OpCase{"SCMP_CMP_NE", 0, 0, 5, 0},
                                           OpCase{"SCMP_CMP_LT", 100, 0, 99, 100},
                                           OpCase{"SCMP_CMP_LE", 100, 0, 100, 101},
                                           OpCase{"SCMP_CMP_GT", 100, 0, 101, 100},
                                           OpCase{"SCMP_CMP_GE", 100, 0, 100, 99},
                                           OpCase{"SCMP_CMP_MASKED_EQ", 0xf, 0x3, 0x13, 0x4}),
                         [](const auto& info) { return std::string(info.param.op + 9); });

TEST(Seccomp, ConditionsOnDifferentArgumentsMustAllHold) {
    SeccompFilter filter(allow_by_default({errno_rule(
        {"getpriority"}, EACCES, {SeccompArg{0, PRIO_PROCESS, 0, "SCMP_CMP_EQ"}, SeccompArg{1, 4242, 0, "SCMP_CMP_EQ"}})}));
    auto r = run_in_child([&] {
        filter.load();
        if (errno_of(SYS_getpriority, PRIO_PROCESS, 4242) != EACCES) return 1;
        if (errno_of(SYS_getpriority, PRIO_PROCESS, 0) == EACCES) return 2;
        if (errno_of(SYS_getpriority, PRIO_PGRP, 4242) == EACCES) return 3;
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, ConditionsOnTheSameArgumentAreAlternatives) {
    SeccompFilter filter(allow_by_default(
        {errno_rule({"getpgid"}, EACCES, {SeccompArg{0, 7, 0, "SCMP_CMP_EQ"}, SeccompArg{0, 9, 0, "SCMP_CMP_EQ"}})}));
    auto r = run_in_child([&] {
        filter.load();
        if (errno_of(SYS_getpgid, 7) != EACCES) return 1;
        if (errno_of(SYS_getpgid, 9) != EACCES) return 2;
        if (errno_of(SYS_getpgid, 8) == EACCES) return 3;
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, KillActionsKillWithSigsys) {
    for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"}) {
        SeccompFilter filter(allow_by_default({SeccompSyscall{{"getppid"}, action, std::nullopt, {}}}));
        auto r = run_in_child([&] {
            filter.load();
            ::syscall(SYS_getppid);
            return 0;
        });
        EXPECT_TRUE(r.killed_by(SIGSYS)) << action << ": " << r.describe();
    }
}

TEST(Seccomp, DefaultErrnoWithAnAllowList) {
    Seccomp s;
    s.default_action = "SCMP_ACT_ERRNO";
    s.default_errno_ret = ENOSYS;
    s.syscalls = {SeccompSyscall{{"exit_group", "exit", "write", "getpid"}, "SCMP_ACT_ALLOW", std::nullopt, {}}};
    SeccompFilter filter(s);
    auto r = run_in_child([&] {
        filter.load();
        if (errno_of(SYS_getppid) != ENOSYS) return 1;
        if (errno_of(SYS_getuid) != ENOSYS) return 2;
        if (errno_of(SYS_getpid) != 0) return 3;
        if (::write(2, "ok", 2) != 2) return 4;
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
    EXPECT_EQ(r.output, "ok");
}

TEST(Seccomp, DefaultErrnoWithoutErrnoRetIsEperm) {
    Seccomp s;
    s.default_action = "SCMP_ACT_ERRNO";
    s.syscalls = {SeccompSyscall{{"exit_group", "exit"}, "SCMP_ACT_ALLOW", std::nullopt, {}}};
    SeccompFilter filter(s);
    auto r = run_in_child([&] {
        filter.load();
        return errno_of(SYS_getppid) == EPERM ? 0 : 1;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, UnknownSyscallNamesAreSkipped) {
    SeccompFilter filter(allow_by_default({errno_rule({"no_such_syscall_at_all", "getcwd"}, ENOMSG)}));
    auto r = run_in_child([&] {
        filter.load();
        char buf[64];
        return errno_of(SYS_getcwd, buf, sizeof(buf)) == ENOMSG ? 0 : 1;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, LoadWithoutNotifyReturnsNoFd) {
    SeccompFilter filter(allow_by_default({errno_rule({"getcwd"}, ENOMSG)}));
    auto r = run_in_child([&] { return filter.load() ? 1 : 0; });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, FlagsAreAcceptedAndLoad) {
    auto s = allow_by_default({errno_rule({"getcwd"}, ENOMSG)});
    s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
               "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    SeccompFilter filter(s);
    auto r = run_in_child([&] {
        filter.load();
        char buf[64];
        return errno_of(SYS_getcwd, buf, sizeof(buf)) == ENOMSG ? 0 : 1;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

// Whether a thread started before load() is filtered: only with SECCOMP_FILTER_FLAG_TSYNC.
int other_thread_errno(SeccompFilter& filter) {
    std::atomic<int> phase{0};
    int seen = -1;
    std::thread other([&] {
        while (phase.load() == 0) {}
        char buf[64];
        seen = errno_of(SYS_getcwd, buf, sizeof(buf));
    });
    filter.load();
    phase = 1;
    other.join();
    return seen;
}

TEST(Seccomp, TsyncAppliesTheFilterToEveryThread) {
    auto s = allow_by_default({errno_rule({"getcwd"}, ENOMSG)});
    SeccompFilter unsynced(s);
    auto r = run_in_child([&] { return other_thread_errno(unsynced); });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();

    s.flags = {"SECCOMP_FILTER_FLAG_TSYNC"};
    SeccompFilter synced(s);
    r = run_in_child([&] { return other_thread_errno(synced); });
    EXPECT_TRUE(r.exited_with(ENOMSG)) << r.describe();

    s.syscalls.push_back(SeccompSyscall{{"getppid"}, "SCMP_ACT_NOTIFY", std::nullopt, {}});
    SeccompFilter synced_with_listener(s);
    r = run_in_child([&] { return other_thread_errno(synced_with_listener); });
    EXPECT_TRUE(r.exited_with(ENOMSG)) << r.describe();
}

TEST(Seccomp, ClearErrorsNameTheJsonPathAndSyscall) {
    auto s = allow_by_default({SeccompSyscall{{"getcwd"}, "SCMP_ACT_EXPLODE", std::nullopt, {}}});
    EXPECT_EQ(error_of(s), "linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_EXPLODE\" (for getcwd)");

    s = allow_by_default({errno_rule({"getcwd"}, 1), errno_rule({"mkdir", "rmdir"}, 1, {SeccompArg{0, 1, 0, "SCMP_CMP_ALMOST"}})});
    EXPECT_EQ(error_of(s), "linux.seccomp.syscalls[1].args[0].op: unknown seccomp argument operator \"SCMP_CMP_ALMOST\"");

    s = allow_by_default({errno_rule({"getcwd"}, 1, {SeccompArg{6, 1, 0, "SCMP_CMP_EQ"}})});
    EXPECT_EQ(error_of(s), "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (a syscall has 6 arguments)");

    s = allow_by_default({});
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
    EXPECT_EQ(error_of(s), "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");

    s = allow_by_default({});
    s.flags = {"SECCOMP_FILTER_FLAG_MAGIC"};
    EXPECT_EQ(error_of(s), "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_MAGIC\"");

    s = allow_by_default({});
    s.default_action = "SCMP_ACT_MAYBE";
    EXPECT_EQ(error_of(s), "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_MAYBE\"");

    s.default_action = "";
    EXPECT_EQ(error_of(s), "linux.seccomp.defaultAction: must be set");

    s.default_action = "SCMP_ACT_NOTIFY";
    EXPECT_EQ(error_of(s), "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

    s = allow_by_default({SeccompSyscall{{"getcwd", "mkdir"}, "SCMP_ACT_ALLOW", 5, {}}});
    s.default_action = "SCMP_ACT_KILL";
    EXPECT_EQ(error_of(s), "linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, "
                           "not SCMP_ACT_ALLOW (for getcwd, ...)");

    s = allow_by_default({errno_rule({"getcwd"}, 70000)});
    EXPECT_EQ(error_of(s), "linux.seccomp.syscalls[0].errnoRet: 70000 does not fit in 16 bits (for getcwd)");

    s = allow_by_default({});
    s.default_action = "SCMP_ACT_ERRNO";
    s.default_errno_ret = 1u << 20;
    EXPECT_EQ(error_of(s), "linux.seccomp.defaultErrnoRet: 1048576 does not fit in 16 bits");

    s = allow_by_default({SeccompSyscall{{}, "SCMP_ACT_KILL", std::nullopt, {}}});
    EXPECT_EQ(error_of(s), "linux.seccomp.syscalls[0].names: must list at least one syscall");
}

TEST(Seccomp, AllActionsCompile) {
    for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                               "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}) {
        EXPECT_EQ(error_of(allow_by_default({SeccompSyscall{{"getcwd"}, action, std::nullopt, {}}})), "") << action;
    }
}

TEST(Seccomp, ExportBpfGivesTheProgram) {
    SeccompFilter small(allow_by_default({errno_rule({"getcwd"}, ENOMSG)}));
    SeccompFilter larger(allow_by_default({errno_rule({"getcwd"}, ENOMSG), errno_rule({"mkdir", "rmdir"}, EROFS)}));
    auto a = small.export_bpf();
    auto b = larger.export_bpf();
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.size() % 8, 0u);  // struct sock_filter is 8 bytes
    EXPECT_GT(b.size(), a.size());
    EXPECT_EQ(a, SeccompFilter(allow_by_default({errno_rule({"getcwd"}, ENOMSG)})).export_bpf());  // deterministic
}

TEST(Seccomp, TheKernelHoldsExactlyTheExportedProgram) {
    // What checkpoint reads back with PTRACE_SECCOMP_GET_FILTER must equal export_bpf().
    SeccompFilter filter(allow_by_default({errno_rule({"getcwd"}, ENOMSG),
                                           errno_rule({"getpgid"}, EACCES, {SeccompArg{0, 7, 0, "SCMP_CMP_GT"}})}));
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::alarm(20);
        filter.load();
        (void)!::write(ready[1], "x", 1);
        for (;;) ::pause();
    }
    ::close(ready[1]);
    char c;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);
    ASSERT_EQ(::ptrace(PTRACE_SEIZE, child, nullptr, nullptr), 0) << strerror(errno);
    ASSERT_EQ(::ptrace(PTRACE_INTERRUPT, child, nullptr, nullptr), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    auto expected = filter.export_bpf();
    std::vector<uint8_t> loaded(expected.size() + 64 * 8);
    long count = ::ptrace(PTRACE_SECCOMP_GET_FILTER, child, 0L, loaded.data());
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    ASSERT_GT(count, 0) << strerror(errno);
    loaded.resize(static_cast<size_t>(count) * 8);
    EXPECT_EQ(loaded, expected);
}

// Podman's default profile (golang-github-containers-common) as podman would hand it over on
// x86_64: entries with includes/excludes conditions are left out (they depend on capabilities).
TEST(Seccomp, PodmansDefaultProfileCompilesAndFilters) {
    const char* path = "/usr/share/containers/seccomp.json";
    std::ifstream in(path);
    if (!in) GTEST_SKIP() << path << " is not installed";
    auto doc = nlohmann::json::parse(in);
    Seccomp s;
    s.default_action = doc.at("defaultAction");
    s.default_errno_ret = doc.at("defaultErrnoRet").get<uint32_t>();
    s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    for (const auto& entry : doc.at("syscalls")) {
        auto conditional = [&](const char* key) {
            return entry.contains(key) && !entry[key].empty() && entry[key] != nlohmann::json::object();
        };
        if (conditional("includes") || conditional("excludes")) continue;
        SeccompSyscall sc;
        sc.names = entry.at("names").get<std::vector<std::string>>();
        sc.action = entry.at("action");
        if (entry.contains("errnoRet")) sc.errno_ret = entry["errnoRet"].get<uint32_t>();
        if (entry.contains("args") && entry["args"].is_array())
            for (const auto& a : entry["args"])
                sc.args.push_back(SeccompArg{a.at("index"), a.at("value"), a.value("valueTwo", uint64_t{0}), a.at("op")});
        s.syscalls.push_back(std::move(sc));
    }
    SeccompFilter filter(s);
    EXPECT_GT(filter.export_bpf().size() / 8, 300u);
    auto r = run_in_child([&] {
        filter.load();
        if (errno_of(SYS_getpid) != 0) return 1;
        if (errno_of(SYS_kexec_file_load, -1, -1, 0, nullptr, 0) != EPERM) return 2;  // listed with errnoRet 1
        if (errno_of(SYS_create_module) != ENOSYS) return 3;  // not listed: defaultErrnoRet 38
        if (errno_of(SYS_personality, 0xffffffffUL) != 0) return 4;  // argument rule: query allowed
        if (errno_of(SYS_personality, 0x12345UL) != ENOSYS) return 5;  // other personalities are not
        return 0;
    });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

// Listens on a Unix socket, accepts the runtime's connection, and returns the fd and message.
struct ReceivedListener {
    myrt::UniqueFd fd;
    std::string message;
};

ReceivedListener receive_listener(int listen_fd) {
    pollfd p{listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return {};
    myrt::UniqueFd conn(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    ReceivedListener out;
    for (;;) {
        char buf[4096];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        iovec iov{buf, sizeof(buf)};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        ssize_t n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
        if (n <= 0) break;
        for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(cm), sizeof(int));
                out.fd.reset(fd);
            }
        out.message.append(buf, static_cast<size_t>(n));
    }
    return out;
}

TEST(Seccomp, NotifyHandsTheListenerToTheAgentWhichAnswersTheSyscall) {
    char dir_tmpl[] = "/tmp/myrt-seccomp-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_tmpl), nullptr);
    std::string sock_path = std::string(dir_tmpl) + "/agent.sock";
    myrt::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, sock_path.c_str());
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::listen(listener.get(), 1), 0);

    const std::string state = R"({"ociVersion":"1.2.0","fds":["seccompFd"],"pid":1,"metadata":"m","state":{}})";
    auto s = allow_by_default({SeccompSyscall{{"getppid"}, "SCMP_ACT_NOTIFY", std::nullopt, {}}});
    s.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
    s.listener_path = sock_path;
    SeccompFilter filter(s);
    EXPECT_TRUE(filter.uses_notify());

    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::alarm(20);  // never outlive a broken test
        try {
            auto fd = filter.load();
            if (!fd) ::_exit(10);
            myrt::security::send_seccomp_listener(sock_path, fd.get(), state);
        } catch (const std::exception& e) {
            myrt::testing::note(e.what());
            ::_exit(11);
        }
        long answer = ::syscall(SYS_getppid);  // suspended until the agent responds
        ::_exit(answer == 4242 ? 0 : 12);
    }

    auto received = receive_listener(listener.get());
    EXPECT_EQ(received.message, state);
    ASSERT_TRUE(received.fd);
    pollfd p{received.fd.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1);
    seccomp_notif* req = nullptr;
    seccomp_notif_resp* resp = nullptr;
    ASSERT_EQ(seccomp_notify_alloc(&req, &resp), 0);
    ASSERT_EQ(seccomp_notify_receive(received.fd.get(), req), 0);
    EXPECT_EQ(req->data.nr, SYS_getppid);
    EXPECT_EQ(static_cast<pid_t>(req->pid), child);
    resp->id = req->id;
    resp->val = 4242;
    resp->error = 0;
    resp->flags = 0;
    EXPECT_EQ(seccomp_notify_respond(received.fd.get(), resp), 0);
    seccomp_notify_free(req, resp);

    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    std::filesystem::remove_all(dir_tmpl);
}

TEST(Seccomp, NotifyWithoutWaitKillableAlsoGivesAListener) {
    SeccompFilter filter(allow_by_default({SeccompSyscall{{"getppid"}, "SCMP_ACT_NOTIFY", std::nullopt, {}}}));
    auto r = run_in_child([&] { return filter.load().get() >= 0 ? 0 : 1; });
    EXPECT_TRUE(r.exited_with(0)) << r.describe();
}

TEST(Seccomp, ListenerPathErrorsNameThePath) {
    try {
        myrt::security::send_seccomp_listener("/nonexistent/dir/agent.sock", 0, "{}");
        FAIL() << "no error";
    } catch (const myrt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("connect to seccomp listener /nonexistent/dir/agent.sock"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
