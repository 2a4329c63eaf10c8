#pragma once
// Work that may happen only once everything else succeeded (seed 000): IPC_RMID
// of segments that were already deleted, unlinking temporary socket paths.
// Runs in the order queued, each item once: at the end of a checkpoint before
// the unvisited check, at the end of a restore before TAIL is accepted.
#include <functional>
#include <string>
#include <vector>

namespace myrt::cr::objhash {

class DeferredQueue {
public:
    void push(std::string what, std::function<void()> work);
    // Runs every queued item in order (items queued while running run too).
    // The first failure stops the run and throws naming the item; the items
    // not yet run are dropped, so nothing runs twice.
    void run();
    size_t pending() const { return items_.size(); }

private:
    struct Item {
        std::string what;
        std::function<void()> work;
    };
    std::vector<Item> items_;
};

}  // namespace myrt::cr::objhash
