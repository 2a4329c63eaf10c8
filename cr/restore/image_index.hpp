#pragma once
// First pass of a restore: the whole image is read and checked (HEAD, CPU,
// every record, TAIL count and checksum, the driver's section order) before
// anything is created. What the second pass needs is kept: the namespaces,
// every process's state, and where each process has dumped pages.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cr/driver/image_chain.hpp"  // predump
#include "cr/image/records.hpp"
#include "cr/memory/pagemap.hpp"
#include "cr/ipc/ipc_parser.hpp"  // cr/ipc
#include "cr/net/netns_config.hpp"  // cr/net
#include "cr/ns/ns_state.hpp"
#include "cr/task/task_state.hpp"
#include "cr/transport/source.hpp"

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
    std::vector<std::vector<PageRun>> cow;          // per process: COW_PAGES, ascending (proc20)
    // --- predump (begin) ---
    std::optional<driver::Lineage> lineage;         // an image made with --parent-path
    std::vector<std::vector<PageRun>> parent_pages; // per process: PARENT_PAGES, ascending
    uint64_t total_parent_pages = 0;
    // Filled by the restore once the chain is open: where those pages' contents lie.
    std::vector<std::vector<driver::ParentExtent>> parent_extents;
    // --- predump (end) ---
    uint64_t total_pages = 0;
    uint64_t tmpfs_entries = 0;                     // restored by the second pass
    ipc::IpcIndex ipc;                              // cr/ipc: the IPC section's objects, checked
    std::optional<net::NetnsConfig> netns;          // cr/net: the container's own network namespace, checked
};

// Limits checked while the image is read, so that the index, which the
// restore holds until the end, stays bounded whatever the image says.
struct IndexLimits {
    uint64_t max_tasks = 0;                 // threads of all processes; 0 = no limit (the bundle's pids limit)
    uint32_t max_vmas = 65530;              // per process: vm.max_map_count, the kernel would refuse more
    uint64_t max_state_bytes = 128ull << 20;  // every process section together (about 1.5 times that decoded)
    uint64_t max_page_records = 4ull << 20;   // PAGES records (24 bytes each in the index)
};
// max_vmas from /proc/sys/vm/max_map_count, the others as above.
IndexLimits host_index_limits();

ImageIndex read_image_index(const std::string& image_file, const IndexLimits& limits);
// The same from any source (the fuzzer's memory); `name` is the image's name in messages.
ImageIndex read_image_index(transport::Source& source, const std::string& name, const IndexLimits& limits);

}  // namespace myrt::cr
