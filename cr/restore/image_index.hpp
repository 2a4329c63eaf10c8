#pragma once
// First pass of a restore: the whole image is read and checked (HEAD, CPU,
// every record, TAIL count and checksum, the driver's section order) before
// anything is created. What the second pass needs is kept: the namespaces,
// every process's state, and where each process has dumped pages.
#include <cstdint>
#include <string>
#include <vector>

#include "cr/image/records.hpp"
#include "cr/ipc/ipc_parser.hpp"  // cr/ipc
#include "cr/ns/ns_state.hpp"
#include "cr/task/task_state.hpp"

namespace myrt::cr {

struct PageRange {
    uint64_t start, end;
    uint64_t contents_offset = 0;  // of the PAGES record's contents in the image file
};

struct ImageIndex {
    image::HeadRecord head{};
    ns::NamespaceState ns;
    std::vector<ProcessState> processes;            // root first, parents before children
    std::vector<std::vector<PageRange>> pages;      // per process, ascending
    uint64_t total_pages = 0;
    uint64_t tmpfs_entries = 0;                     // restored by the second pass
    ipc::IpcIndex ipc;                              // cr/ipc: the IPC section's objects, checked
};

ImageIndex read_image_index(const std::string& image_file);

}  // namespace myrt::cr
