// cgroup v2 has no devices.allow/deny: device access is decided by a BPF_PROG_TYPE_CGROUP_DEVICE
// program attached to the cgroup. The program below checks the rules from last to first and
// returns the verdict of the first that matches, which is what writing them in order to v1's
// devices.allow/deny means; when none matches it allows, like a fresh v1 cgroup.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "runtime/cgroup/devices.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

namespace myrt::cgroup {

namespace {

int bpf(int cmd, bpf_attr& attr) { return static_cast<int>(::syscall(__NR_bpf, cmd, &attr, sizeof attr)); }

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst;
    i.src_reg = src;
    i.off = off;
    i.imm = imm;
    return i;
}

// Register use: r1 = ctx, r2 = device type, r3 = requested access, r4 = major, r5 = minor.
std::vector<bpf_insn> build_program(const std::vector<spec::DeviceCgroupRule>& rules) {
    std::vector<bpf_insn> prog = {
        insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(bpf_cgroup_dev_ctx, access_type), 0),
        insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff),
        insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, offsetof(bpf_cgroup_dev_ctx, access_type), 0),
        insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16),
        insn(BPF_LDX | BPF_MEM | BPF_W, 4, 1, offsetof(bpf_cgroup_dev_ctx, major), 0),
        insn(BPF_LDX | BPF_MEM | BPF_W, 5, 1, offsetof(bpf_cgroup_dev_ctx, minor), 0),
    };
    constexpr int16_t to_next = -1;  // placeholder: jump to the next rule's block
    for (size_t n = rules.size(); n-- > 0;) {
        const auto& rule = rules[n];
        device_rule_string(rule, n);  // validates the fields with a message naming the rule
        std::vector<bpf_insn> block;
        if (rule.type == "c" || rule.type == "b")
            block.push_back(insn(BPF_JMP32 | BPF_JNE | BPF_K, 2, 0, to_next,
                                 rule.type == "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
        int32_t access = 0;
        for (char c : rule.access.empty() ? std::string("rwm") : rule.access)
            access |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
        constexpr int32_t all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
        if (access != all) {
            block.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0));
            if (rule.allow) {
                // An allow rule covers a request only if every requested access is in the rule.
                block.push_back(insn(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, ~access & all));
                block.push_back(insn(BPF_JMP32 | BPF_JNE | BPF_K, 1, 0, to_next, 0));
            } else {
                // A deny rule refuses a request that asks for any access in the rule.
                block.push_back(insn(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, access));
                block.push_back(insn(BPF_JMP32 | BPF_JEQ | BPF_K, 1, 0, to_next, 0));
            }
        }
        if (rule.major && *rule.major >= 0)
            block.push_back(insn(BPF_JMP32 | BPF_JNE | BPF_K, 4, 0, to_next, static_cast<int32_t>(*rule.major)));
        if (rule.minor && *rule.minor >= 0)
            block.push_back(insn(BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, to_next, static_cast<int32_t>(*rule.minor)));
        block.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, rule.allow ? 1 : 0));
        block.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
        bool matches_all = true;
        for (size_t i = 0; i < block.size(); ++i)
            if (block[i].off == to_next && BPF_CLASS(block[i].code) == BPF_JMP32) {
                block[i].off = static_cast<int16_t>(block.size() - i - 1);
                matches_all = false;
            }
        prog.insert(prog.end(), block.begin(), block.end());
        // A rule that matches everything ("a *:* rwm") decides alone; the verifier refuses
        // the unreachable code that would follow it.
        if (matches_all) return prog;
    }
    prog.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
    prog.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    return prog;
}

uint32_t prog_id(int fd) {
    bpf_prog_info info{};
    bpf_attr attr{};
    attr.info.bpf_fd = static_cast<uint32_t>(fd);
    attr.info.info_len = sizeof info;
    attr.info.info = reinterpret_cast<uint64_t>(&info);
    check(bpf(BPF_OBJ_GET_INFO_BY_FD, attr), "cannot read the id of the device BPF program");
    return info.id;
}

}  // namespace

void attach_device_filter(const std::string& cgroup_dir, const std::vector<spec::DeviceCgroupRule>& rules) {
    for (size_t i = 0; i < rules.size(); ++i) {
        auto check_range = [&](const std::optional<int64_t>& v, const char* what) {
            if (v && *v > 0x7fffffff) fail("linux.resources.devices[{}].{} {} is too large for the cgroup v2 device filter", i, what, *v);
        };
        check_range(rules[i].major, "major");
        check_range(rules[i].minor, "minor");
    }
    auto prog = build_program(rules);
    std::string verifier_log(64 * 1024, '\0');
    static const char license[] = "Apache-2.0";
    bpf_attr load{};
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = reinterpret_cast<uint64_t>(prog.data());
    load.insn_cnt = static_cast<uint32_t>(prog.size());
    load.license = reinterpret_cast<uint64_t>(license);
    load.log_buf = reinterpret_cast<uint64_t>(verifier_log.data());
    load.log_size = static_cast<uint32_t>(verifier_log.size());
    load.log_level = 1;
    UniqueFd prog_fd(bpf(BPF_PROG_LOAD, load));
    if (!prog_fd) {
        int e = errno;
        verifier_log.resize(std::strlen(verifier_log.c_str()));
        throw SystemError(e, fmt::format("cannot load the cgroup v2 device filter ({} rules){}", rules.size(),
                                         verifier_log.empty() ? "" : "; verifier: " + verifier_log));
    }
    UniqueFd cg_fd(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cg_fd) throw_errno("cannot open cgroup {} to attach the device filter", cgroup_dir);

    // Attach the new program before detaching the old ones, so there is no moment without a filter.
    bpf_attr attach{};
    attach.target_fd = static_cast<uint32_t>(cg_fd.get());
    attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd.get());
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    check(bpf(BPF_PROG_ATTACH, attach), "cannot attach the device filter to cgroup {}", cgroup_dir);
    uint32_t new_id = prog_id(prog_fd.get());

    std::vector<uint32_t> ids(64);
    bpf_attr query{};
    query.query.target_fd = static_cast<uint32_t>(cg_fd.get());
    query.query.attach_type = BPF_CGROUP_DEVICE;
    query.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
    query.query.prog_cnt = static_cast<uint32_t>(ids.size());
    check(bpf(BPF_PROG_QUERY, query), "cannot list the device filters of cgroup {}", cgroup_dir);
    for (uint32_t i = 0; i < query.query.prog_cnt && i < ids.size(); ++i) {
        if (ids[i] == new_id) continue;
        bpf_attr by_id{};
        by_id.prog_id = ids[i];
        UniqueFd old(bpf(BPF_PROG_GET_FD_BY_ID, by_id));
        if (!old) {
            log::warn("cannot open old device filter {} of cgroup {}: {}", ids[i], cgroup_dir, std::strerror(errno));
            continue;
        }
        bpf_attr detach{};
        detach.target_fd = static_cast<uint32_t>(cg_fd.get());
        detach.attach_bpf_fd = static_cast<uint32_t>(old.get());
        detach.attach_type = BPF_CGROUP_DEVICE;
        check(bpf(BPF_PROG_DETACH, detach), "cannot detach the old device filter {} from cgroup {}", ids[i], cgroup_dir);
    }
}


}  // namespace myrt::cgroup
