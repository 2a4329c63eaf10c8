#pragma once
// Many injected syscalls for the price of one stop. A short loop, copied into
// the restorer's code page, runs a table of syscalls in the task and ends at
// an int3; each one-by-one injection costs a round trip through the tracer
// (two context switches on each side), which on this VM is most of the cost
// of restoring a small process. The table and the arguments it points to
// (sigaction structs, strings) are written with one process_vm_writev.
//
// The loop stops at the first failing syscall whose entry is checked; run()
// then throws naming that entry. A batch may hold any number of entries: the
// table in the task holds 256, and a longer batch runs in chunks of that. Without int3 stops (the Injector says
// whether the task may take them) the same entries run one by one.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace myrt::cr {

class Injector;

// The loop's machine code, position-independent: `rbx` points at the first
// entry, and the trap leaves `rbx` at the entry it stopped on.
std::span<const std::byte> syscall_batch_loop();

class SyscallBatch {
public:
    // `loop` is where syscall_batch_loop() was copied in the task; the table
    // and the argument data live in the task's [scratch, scratch + size).
    SyscallBatch(uint64_t loop, uint64_t scratch, uint64_t scratch_size);

    // Copies `len` bytes into the argument area; returns their address in the
    // task. Valid from run() until the next batch reuses the area.
    uint64_t put_bytes(const void* data, size_t len);
    template <class T>
    uint64_t put(const T& v) {
        return put_bytes(&v, sizeof v);
    }
    uint64_t put_string(const std::string& s) { return put_bytes(s.c_str(), s.size() + 1); }

    // A syscall whose negative result stops the batch and fails it, naming `what`.
    void add(std::string what, long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
             uint64_t a5 = 0, uint64_t a6 = 0);
    // A syscall whose result means nothing (setfsuid returns the old id).
    void add_unchecked(long nr, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0,
                       uint64_t a6 = 0);

    size_t size() const noexcept { return entries_.size(); }
    // Runs every entry in order and empties the batch (also when it throws).
    void run(Injector& inj);

private:
    struct Entry {
        int64_t nr;
        uint64_t args[6];
        uint64_t checked;
        int64_t result;
    };
    void push(std::string what, bool checked, long nr, const uint64_t (&args)[6]);
    void run_chunk(Injector& inj, size_t first, size_t count);
    void reset();
    size_t table_bytes() const;

    uint64_t loop_;
    uint64_t scratch_;
    uint64_t scratch_size_;
    std::vector<Entry> entries_;
    std::vector<std::string> what_;
    std::vector<std::byte> data_;  // the argument area, placed after the largest table
};

}  // namespace myrt::cr
