#pragma once
// The loopback interface of a network namespace the container made itself.

namespace myrt::runtime {

// Sets `lo` up in the calling task's network namespace (as runc's "loopback"
// network does for a new namespace). The kernel then adds 127.0.0.1 and ::1.
void bring_up_loopback();

}  // namespace myrt::runtime
