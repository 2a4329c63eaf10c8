#include "cr/ptrace/syscall_batch.hpp"

#include <cstddef>
#include <algorithm>
#include <cstring>
#include <utility>

#include "cr/ptrace/inject.hpp"
#include "cr/ptrace/remote_memory.hpp"
#include "util/error.hpp"

// The loop, assembled by the compiler into read-only data: myrt never runs it,
// it only copies the bytes into the task. Entry layout as SyscallBatch::Entry:
// nr at 0, arguments at 8..48, checked at 56, result at 64, 72 bytes; nr -1
// ends the table. rbx survives `syscall` (only rax, rcx and r11 do not).
asm(R"(
    .pushsection .rodata
    .balign 16
    .type myrt_syscall_batch_loop_start, @object
myrt_syscall_batch_loop_start:
1:  mov (%rbx), %rax
    cmp $-1, %rax
    je 3f
    mov 8(%rbx), %rdi
    mov 16(%rbx), %rsi
    mov 24(%rbx), %rdx
    mov 32(%rbx), %r10
    mov 40(%rbx), %r8
    mov 48(%rbx), %r9
    syscall
    mov %rax, 64(%rbx)
    testb $1, 56(%rbx)
    jz 2f
    cmp $-4095, %rax
    jae 3f
2:  add $72, %rbx
    jmp 1b
3:  int3
myrt_syscall_batch_loop_end:
    .popsection
)");

extern "C" const unsigned char myrt_syscall_batch_loop_start[];
extern "C" const unsigned char myrt_syscall_batch_loop_end[];

namespace myrt::cr {
namespace {

constexpr size_t kMaxEntries = 256;
constexpr size_t kEntryBytes = 72;

}  // namespace

std::span<const std::byte> syscall_batch_loop() {
    return {reinterpret_cast<const std::byte*>(myrt_syscall_batch_loop_start),
            static_cast<size_t>(myrt_syscall_batch_loop_end - myrt_syscall_batch_loop_start)};
}

SyscallBatch::SyscallBatch(uint64_t loop, uint64_t scratch, uint64_t scratch_size)
    : loop_(loop), scratch_(scratch), scratch_size_(scratch_size) {
    static_assert(sizeof(Entry) == kEntryBytes);
    static_assert(offsetof(Entry, checked) == 56 && offsetof(Entry, result) == 64);
    if (scratch_size_ <= table_bytes()) fail("a scratch area of {} bytes cannot hold a syscall batch", scratch_size_);
}

size_t SyscallBatch::table_bytes() const { return (kMaxEntries + 1) * kEntryBytes; }

uint64_t SyscallBatch::put_bytes(const void* data, size_t len) {
    size_t at = (data_.size() + 7) & ~size_t{7};
    if (table_bytes() + at + len > scratch_size_)
        fail("syscall arguments of {} bytes do not fit in the {}-byte scratch area", at + len, scratch_size_ - table_bytes());
    data_.resize(at + len);
    if (len) std::memcpy(data_.data() + at, data, len);
    return scratch_ + table_bytes() + at;
}

void SyscallBatch::push(std::string what, bool checked, long nr, const uint64_t (&args)[6]) {
    Entry e{nr, {args[0], args[1], args[2], args[3], args[4], args[5]}, checked ? 1u : 0u, 0};
    entries_.push_back(e);
    what_.push_back(std::move(what));
}

void SyscallBatch::add(std::string what, long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
                       uint64_t a6) {
    push(std::move(what), true, nr, {a1, a2, a3, a4, a5, a6});
}

void SyscallBatch::add_unchecked(long nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6) {
    push({}, false, nr, {a1, a2, a3, a4, a5, a6});
}

void SyscallBatch::reset() {
    entries_.clear();
    what_.clear();
    data_.clear();
}

void SyscallBatch::run(Injector& inj) {
    struct Reset {
        SyscallBatch& b;
        ~Reset() { b.reset(); }
    } reset_after{*this};
    if (entries_.empty()) return;
    if (!data_.empty()) remote_write(inj.tid(), scratch_ + table_bytes(), data_);
    if (!inj.int3_follows()) {
        for (size_t i = 0; i < entries_.size(); ++i) {
            const auto& e = entries_[i];
            if (e.checked)
                inj.checked(what_[i], e.nr, e.args[0], e.args[1], e.args[2], e.args[3], e.args[4], e.args[5]);
            else
                inj.syscall(e.nr, e.args[0], e.args[1], e.args[2], e.args[3], e.args[4], e.args[5]);
        }
        return;
    }
    // The table in the task holds kMaxEntries; a longer batch (a process
    // with thousands of VMAs) runs as consecutive chunks over the same
    // argument area, which was written whole above.
    for (size_t first = 0; first < entries_.size(); first += kMaxEntries)
        run_chunk(inj, first, std::min(kMaxEntries, entries_.size() - first));
}

void SyscallBatch::run_chunk(Injector& inj, size_t first, size_t count) {
    std::vector<std::byte> table((count + 1) * kEntryBytes);
    std::memcpy(table.data(), entries_.data() + first, count * kEntryBytes);
    const int64_t end = -1;
    std::memcpy(table.data() + count * kEntryBytes, &end, sizeof end);
    remote_write(inj.tid(), scratch_, table);
    auto regs = inj.run_code(loop_, loop_ + syscall_batch_loop().size(), scratch_,
                             fmt::format("a batch of {} syscalls", count));
    // The loop traps with rbx at the terminator, or at the entry that failed.
    uint64_t stopped = (regs.rbx - scratch_) / kEntryBytes;
    if (regs.rbx < scratch_ || (regs.rbx - scratch_) % kEntryBytes || stopped > count)
        fail("syscall batch in task {} stopped at {:#x}, outside its table at {:#x}", inj.tid(), regs.rbx, scratch_);
    if (stopped == count) return;
    long rc = static_cast<long>(regs.rax);
    if (rc >= 0 || rc < -4095)
        fail("syscall batch in task {} stopped at entry {} with result {}", inj.tid(), first + stopped, rc);
    throw SystemError(static_cast<int>(-rc), fmt::format("{} in task {}", what_[first + stopped], inj.tid()));
}

}  // namespace myrt::cr
