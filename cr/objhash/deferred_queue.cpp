#include "cr/objhash/deferred_queue.hpp"

#include "util/error.hpp"

namespace myrt::cr::objhash {

void DeferredQueue::push(std::string what, std::function<void()> work) {
    items_.push_back(Item{std::move(what), std::move(work)});
}

void DeferredQueue::run() {
    for (size_t i = 0; i < items_.size(); ++i) {
        Item item = std::move(items_[i]);
        try {
            item.work();
        } catch (const std::exception& e) {
            items_.clear();
            fail("deferred work '{}' failed: {}", item.what, e.what());
        }
    }
    items_.clear();
}

}  // namespace myrt::cr::objhash
