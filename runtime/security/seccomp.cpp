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
#include <optional>
#include <string_view>

#include "util/error.hpp"
#include "util/log.hpp"

namespace myrt::security {
namespace {

constexpr uint32_t kMaxErrno = 0xffff;  // SECCOMP_RET_DATA is 16 bits wide

uint32_t errno_value(std::optional<uint32_t> errno_ret, const std::string& where) {
    uint32_t value = errno_ret.value_or(EPERM);
    if (value > kMaxErrno) fail("{}: errnoRet {} does not fit in 16 bits", where, value);
    return value;
}

// `where` names the field for the error ("seccomp.defaultAction", "seccomp syscall mkdir").
uint32_t parse_action(const std::string& name, std::optional<uint32_t> errno_ret, const std::string& where) {
    auto no_errno = [&](uint32_t action) {
        if (errno_ret)
            fail("{}: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not {}", where, name);
        return action;
    };
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return no_errno(SCMP_ACT_KILL_THREAD);
    if (name == "SCMP_ACT_KILL_PROCESS") return no_errno(SCMP_ACT_KILL_PROCESS);
    if (name == "SCMP_ACT_TRAP") return no_errno(SCMP_ACT_TRAP);
    if (name == "SCMP_ACT_ALLOW") return no_errno(SCMP_ACT_ALLOW);
    if (name == "SCMP_ACT_LOG") return no_errno(SCMP_ACT_LOG);
    if (name == "SCMP_ACT_NOTIFY") return no_errno(SCMP_ACT_NOTIFY);
    if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_value(errno_ret, where));
    // runc gives a tracer EPERM as the message data unless errnoRet says otherwise.
    if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_value(errno_ret, where));
    fail("{}: unknown seccomp action \"{}\"", where, name);
}

scmp_compare parse_op(const std::string& op, const std::string& where) {
    if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
    if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
    if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
    if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
    if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
    if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
    if (op == "SCMP_CMP_MASKED_EQ") return SCMP_CMP_MASKED_EQ;
    fail("{}: unknown seccomp argument operator \"{}\"", where, op);
}

uint32_t parse_arch(const std::string& name) {
    // libseccomp names its architectures like the OCI constants without the prefix, in lower case.
    std::string_view short_name = name;
    constexpr std::string_view prefix = "SCMP_ARCH_";
    if (!short_name.starts_with(prefix)) fail("seccomp.architectures: unknown architecture \"{}\"", name);
    short_name.remove_prefix(prefix.size());
    std::string lower(short_name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    uint32_t token = lower.empty() ? 0 : seccomp_arch_resolve_name(lower.c_str());
    if (token == 0) fail("seccomp.architectures: unknown architecture \"{}\"", name);
    return token;
}

void set_attr(scmp_filter_ctx ctx, scmp_filter_attr attr, uint32_t value, const char* what) {
    int rc = seccomp_attr_set(ctx, attr, value);
    if (rc < 0) throw SystemError(-rc, fmt::format("set the seccomp filter attribute {}", what));
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
        auto field = fmt::format("{}: args[{}]", where, i);
        if (a.index >= 6) fail("{}: index {} is out of range (a syscall has 6 arguments)", field, a.index);
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

void SeccompFilter::ContextDeleter::operator()(void* ctx) const noexcept { seccomp_release(ctx); }

SeccompFilter::SeccompFilter(SeccompFilter&&) noexcept = default;
SeccompFilter& SeccompFilter::operator=(SeccompFilter&&) noexcept = default;
SeccompFilter::~SeccompFilter() = default;

SeccompFilter::SeccompFilter(const spec::Seccomp& s) {
    if (s.default_action.empty()) fail("seccomp.defaultAction: must be set");
    uint32_t default_action = parse_action(s.default_action, s.default_errno_ret, "seccomp.defaultAction");
    if (default_action == SCMP_ACT_NOTIFY) fail("seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

    ctx_.reset(seccomp_init(default_action));
    if (!ctx_) fail("seccomp: libseccomp could not create a filter with default action {}", s.default_action);
    auto* ctx = ctx_.get();
    // process.noNewPrivileges decides no_new_privs, not the filter (runc does the same).
    set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, "CTL_NNP");

    for (const auto& arch : s.architectures) {
        int rc = seccomp_arch_add(ctx, parse_arch(arch));
        if (rc < 0 && rc != -EEXIST) throw SystemError(-rc, fmt::format("seccomp.architectures: add {}", arch));
    }

    for (const auto& flag : s.flags) {
        if (flag == "SECCOMP_FILTER_FLAG_TSYNC") tsync_ = true;
        else if (flag == "SECCOMP_FILTER_FLAG_LOG") log_ = true;
        else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") spec_allow_ = true;
        else if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") wait_killable_recv_ = true;
        else fail("seccomp.flags: unknown flag \"{}\"", flag);
    }
    if (tsync_) set_attr(ctx, SCMP_FLTATR_CTL_TSYNC, 1, "CTL_TSYNC");
    if (log_) set_attr(ctx, SCMP_FLTATR_CTL_LOG, 1, "CTL_LOG");
    if (spec_allow_) set_attr(ctx, SCMP_FLTATR_CTL_SSB, 1, "CTL_SSB");

    for (size_t i = 0; i < s.syscalls.size(); ++i) {
        const auto& sc = s.syscalls[i];
        auto where = fmt::format("seccomp.syscalls[{}]", i);
        if (sc.names.empty()) fail("{}: names must list at least one syscall", where);
        uint32_t action = parse_action(sc.action, sc.errno_ret, where);
        if (action == SCMP_ACT_NOTIFY) uses_notify_ = true;
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

    if (uses_notify_ && seccomp_api_get() < 5)
        fail("seccomp: SCMP_ACT_NOTIFY needs libseccomp API level 5, this one has {}", seccomp_api_get());
}

std::vector<uint8_t> SeccompFilter::export_bpf() const {
    UniqueFd fd(check(::memfd_create("myrt-seccomp-bpf", MFD_CLOEXEC), "memfd_create for the seccomp BPF"));
    int rc = seccomp_export_bpf(ctx_.get(), fd.get());
    if (rc < 0) throw SystemError(-rc, "export the seccomp filter as BPF");
    off_t size = check(::lseek(fd.get(), 0, SEEK_END), "seek the exported seccomp BPF");
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::pread(fd.get(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        check(n, "read the exported seccomp BPF");
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

UniqueFd SeccompFilter::load() {
    if (!uses_notify_) {
        int rc = seccomp_load(ctx_.get());
        if (rc < 0) throw SystemError(-rc, "load the seccomp filter");
        return {};
    }
    // A filter with a listener is installed with seccomp(2) directly: libseccomp 2.5 keeps the
    // listener fd in process-global state (no second listener, unclear ownership) and has no
    // attribute for WAIT_KILLABLE_RECV. Same BPF and the same flags seccomp_load would pass.
    auto bytes = export_bpf();
    size_t instructions = bytes.size() / sizeof(sock_filter);
    if (instructions == 0 || instructions > BPF_MAXINSNS)
        fail("seccomp filter has {} BPF instructions; the kernel takes 1 to {}", instructions, BPF_MAXINSNS);
    sock_fprog prog{static_cast<unsigned short>(bytes.size() / sizeof(sock_filter)),
                    reinterpret_cast<sock_filter*>(bytes.data())};
    unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (wait_killable_recv_) flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    // With a listener the return value is the fd, so a thread that cannot be synced must be
    // reported as ESRCH instead of its thread id.
    if (tsync_) flags |= SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    if (log_) flags |= SECCOMP_FILTER_FLAG_LOG;
    if (spec_allow_) flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    long fd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    check(fd, "load the seccomp filter with a notify listener");
    return UniqueFd(static_cast<int>(fd));
}

}  // namespace myrt::security
