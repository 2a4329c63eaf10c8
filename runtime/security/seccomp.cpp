// Compiles an OCI seccomp profile with libseccomp and loads it.
#include "runtime/security/seccomp.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string_view>

#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::security {
namespace {

constexpr uint32_t kMaxErrno = 0xffff;  // SECCOMP_RET_DATA is 16 bits wide

// Where an action sits in config.json, for messages: the action's and the errnoRet's paths,
// and which syscalls the rule is for ("" for the default action).
struct ActionPath {
    std::string action, errno_ret, syscalls;
};

uint32_t errno_value(std::optional<uint32_t> errno_ret, const ActionPath& at) {
    uint32_t value = errno_ret.value_or(EPERM);
    if (value > kMaxErrno) fail("{}: {} does not fit in 16 bits{}", at.errno_ret, value, at.syscalls);
    return value;
}

uint32_t parse_action(const std::string& name, std::optional<uint32_t> errno_ret, const ActionPath& at) {
    auto no_errno = [&](uint32_t action) {
        if (errno_ret)
            fail("{}: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not {}{}", at.errno_ret, name, at.syscalls);
        return action;
    };
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return no_errno(SCMP_ACT_KILL_THREAD);
    if (name == "SCMP_ACT_KILL_PROCESS") return no_errno(SCMP_ACT_KILL_PROCESS);
    if (name == "SCMP_ACT_TRAP") return no_errno(SCMP_ACT_TRAP);
    if (name == "SCMP_ACT_ALLOW") return no_errno(SCMP_ACT_ALLOW);
    if (name == "SCMP_ACT_LOG") return no_errno(SCMP_ACT_LOG);
    if (name == "SCMP_ACT_NOTIFY") return no_errno(SCMP_ACT_NOTIFY);
    if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_value(errno_ret, at));
    // runc gives a tracer EPERM as the message data unless errnoRet says otherwise.
    if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_value(errno_ret, at));
    if (name.empty()) fail("{}: must be set{}", at.action, at.syscalls);
    fail("{}: unknown seccomp action \"{}\"{}", at.action, name, at.syscalls);
}

scmp_compare parse_op(const std::string& op, const std::string& where) {
    if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
    if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
    if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
    if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
    if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
    if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
    if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
    fail("{}.op: unknown seccomp argument operator \"{}\"", where, op);
}

uint32_t parse_arch(const std::string& name, const std::string& where) {
    // libseccomp names its architectures like the OCI constants without the prefix, in lower case.
    std::string_view short_name = name;
    constexpr std::string_view prefix = "SCMP_ARCH_";
    if (!short_name.starts_with(prefix)) fail("{}: unknown architecture \"{}\"", where, name);
    short_name.remove_prefix(prefix.size());
    std::string lower(short_name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    uint32_t token = lower.empty() ? 0 : seccomp_arch_resolve_name(lower.c_str());
    if (token == 0) fail("{}: unknown architecture \"{}\"", where, name);
    return token;
}

struct ContextDeleter {
    void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

// libseccomp writes the program to an fd (2.5 has no in-memory export).
std::vector<uint8_t> generate_bpf(scmp_filter_ctx ctx) {
    UniqueFd fd(check(::memfd_create("myrt-seccomp-bpf", MFD_CLOEXEC), "memfd_create for the seccomp BPF"));
    int rc = seccomp_export_bpf(ctx, fd.get());
    if (rc < 0) throw SystemError(-rc, "generate the seccomp BPF program");
    off_t size = check(::lseek(fd.get(), 0, SEEK_END), "seek the generated seccomp BPF");
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::pread(fd.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        check(n, "read the generated seccomp BPF");
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    size_t instructions = bytes.size() / sizeof(sock_filter);
    if (instructions == 0 || instructions > BPF_MAXINSNS)
        fail("seccomp filter has {} BPF instructions; the kernel takes 1 to {}", instructions, BPF_MAXINSNS);
    return bytes;
}

struct PendingRule {
    uint32_t action;
    std::vector<scmp_arg_cmp> args;
};

// runc's reading of `args`: conditions on distinct arguments must all hold (one rule), but
// several conditions on the same argument cannot all hold at once, so each becomes its own rule.
std::vector<PendingRule> rules_for(const spec::SeccompSyscall& sc, uint32_t action, const std::string& where) {
    std::vector<scmp_arg_cmp> conditions;
    bool repeated_index = false;
    for (size_t i = 0; i < sc.args.size(); ++i) {
        const auto& a = sc.args[i];
        auto field = fmt::format("{}.args[{}]", where, i);
        if (a.index >= 6) fail("{}.index: {} is out of range (a syscall has 6 arguments)", field, a.index);
        scmp_compare op = parse_op(a.op, field);
        // For MASKED_EQ the OCI `value` is the mask and `valueTwo` the datum, as libseccomp wants.
        conditions.push_back(scmp_arg_cmp{a.index, op, a.value, a.value_two});
        for (size_t j = 0; j < i; ++j)
            if (sc.args[j].index == a.index) repeated_index = true;
    }
    std::vector<PendingRule> rules;
    if (repeated_index) {
        for (auto& c : conditions) rules.push_back({action, {c}});
    } else {
        rules.push_back({action, std::move(conditions)});
    }
    return rules;
}

}  // namespace

SeccompFilter::SeccompFilter(const spec::Seccomp& s) {
    uint32_t default_action = parse_action(
        s.default_action, s.default_errno_ret, {"linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet", ""});
    if (default_action == SCMP_ACT_NOTIFY)
        fail("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

    Context owner(seccomp_init(default_action));
    if (!owner) fail("linux.seccomp: libseccomp could not create a filter with default action {}", s.default_action);
    auto* ctx = owner.get();

    for (size_t i = 0; i < s.architectures.size(); ++i) {
        auto where = fmt::format("linux.seccomp.architectures[{}]", i);
        int rc = seccomp_arch_add(ctx, parse_arch(s.architectures[i], where));
        if (rc < 0 && rc != -EEXIST) throw SystemError(-rc, fmt::format("{}: add {}", where, s.architectures[i]));
    }

    for (size_t i = 0; i < s.flags.size(); ++i) {
        const auto& flag = s.flags[i];
        if (flag == "SECCOMP_FILTER_FLAG_TSYNC") tsync_ = true;
        else if (flag == "SECCOMP_FILTER_FLAG_LOG") log_ = true;
        else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") spec_allow_ = true;
        else if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") wait_killable_recv_ = true;
        else fail("linux.seccomp.flags[{}]: unknown flag \"{}\"", i, flag);
    }
    // The flags are seccomp(2) flags passed by load(); they do not change the program.

    for (size_t i = 0; i < s.syscalls.size(); ++i) {
        const auto& sc = s.syscalls[i];
        auto where = fmt::format("linux.seccomp.syscalls[{}]", i);
        if (sc.names.empty()) fail("{}.names: must list at least one syscall", where);
        ActionPath at{where + ".action", where + ".errnoRet",
                      fmt::format(" (for {}{})", sc.names[0], sc.names.size() > 1 ? ", ..." : "")};
        uint32_t action = parse_action(sc.action, sc.errno_ret, at);
        if (action == SCMP_ACT_NOTIFY) {
            if (seccomp_api_get() < 5)
                fail("{}: SCMP_ACT_NOTIFY needs libseccomp API level 5, this one has {}", at.action, seccomp_api_get());
            uses_notify_ = true;
        }
        auto rules = rules_for(sc, action, where);
        // libseccomp refuses a rule whose action is the default one; it would change nothing.
        if (action == default_action) continue;
        for (const auto& name : sc.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                // A profile written for newer kernels names syscalls this libseccomp does not know.
                log::debug("seccomp: skipping unknown syscall {}", name);
                continue;
            }
            for (const auto& rule : rules) {
                int rc = seccomp_rule_add_array(ctx, rule.action, nr, static_cast<unsigned>(rule.args.size()),
                                                rule.args.data());
                if (rc < 0)
                    throw SystemError(-rc, fmt::format("{}: add the seccomp rule for syscall {} ({})", where, name,
                                                       sc.action));
            }
        }
    }
    bpf_ = generate_bpf(ctx);
}

UniqueFd SeccompFilter::load() {
    // The cached program goes in with seccomp(2) directly rather than seccomp_load, which would
    // generate it all over again (as slow as compiling) and, for a listener, keep the fd in
    // libseccomp's process-global state; 2.5 also has no attribute for WAIT_KILLABLE_RECV.
    sock_fprog prog{static_cast<unsigned short>(bpf_.size() / sizeof(sock_filter)),
                    reinterpret_cast<sock_filter*>(bpf_.data())};
    unsigned long flags = 0;
    if (tsync_) flags |= SECCOMP_FILTER_FLAG_TSYNC;
    if (log_) flags |= SECCOMP_FILTER_FLAG_LOG;
    if (spec_allow_) flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (uses_notify_) {
        flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        // The kernel only accepts WAIT_KILLABLE_RECV together with a listener (libseccomp 2.6
        // drops it the same way for filters without one).
        if (wait_killable_recv_) flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        // The return value is the fd, so a thread TSYNC cannot sync must be reported as ESRCH.
        if (tsync_) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }
    long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    check(rc, "load the seccomp filter");
    if (uses_notify_) return UniqueFd(static_cast<int>(rc));
    // Without a listener, a positive value is a thread TSYNC could not move to the filter.
    if (rc > 0) fail("load the seccomp filter: thread {} could not be synchronized (SECCOMP_FILTER_FLAG_TSYNC)", rc);
    return {};
}

}  // namespace myrt::security
