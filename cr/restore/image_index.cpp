#include "cr/restore/image_index.hpp"

#include "cr/task/tree_ids.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>

#include "cr/driver/codec.hpp"
#include "cr/driver/sections.hpp"
#include "cr/image/host_info.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/memory/cow_shared.hpp"  // proc20
#include "cr/ipc/restore_ipc.hpp"  // cr/ipc
#include "cr/transport/open_stream.hpp"
#include "util/error.hpp"

namespace myrt::cr {
namespace {

int32_t inner_pid(const ProcessState& s) { return s.core.ids.ns_pid[s.core.ids.ns_depth - 1]; }

bool is_files_record(const image::RecordHeader& h) {
    using image::RecordType;
    // --- objects (begin): the fd kinds' own records (310-349) belong to the files section ---
    if (h.type >= 310 && h.type <= 349) return true;
    // --- objects (end) ---
    // --- cr/net (begin): unix socket records (700-799) belong to the files section ---
    if (h.type >= 700 && h.type <= 799) return true;
    // --- cr/net (end) ---
    switch (static_cast<RecordType>(h.type)) {
        case RecordType::objref:
        case RecordType::string:
        case RecordType::fd_table:
        case RecordType::fd:
        case RecordType::file:
        case RecordType::pipe:
        // --- cr/tty (begin) ---
        case RecordType::pty:
        case RecordType::tty:
        case RecordType::pty_file:
        // --- cr/tty (end) ---
            return true;
        case RecordType::buffer:
            return !driver::is_section_tag(h.objref);
        default:
            return false;
    }
}

void check_tree(const ImageIndex& idx) {
    if (idx.processes.empty()) fail("the image holds no process");
    if (inner_pid(idx.processes[0]) != 1)
        fail("the image's first process has pid {} in its pid namespace, not 1 (the container's init)",
             inner_pid(idx.processes[0]));
    std::set<int32_t> seen, seen_inner;
    for (size_t i = 0; i < idx.processes.size(); ++i) {
        const auto& ids = idx.processes[i].core.ids;
        if (!seen_inner.insert(inner_pid(idx.processes[i])).second)
            fail("the image holds pid {} twice", inner_pid(idx.processes[i]));
        if (i > 0 && !seen.count(ids.ppid))
            fail("process {} of the image has no parent before it", inner_pid(idx.processes[i]));
        seen.insert(ids.pid);
    }
    for (auto& p : idx.processes)
        for (auto& z : p.zombies)
            if (!seen_inner.insert(z.ns_pid).second) fail("the image holds pid {} twice (zombie child of process {})", z.ns_pid, inner_pid(p));
    plan_tree_ids(idx.processes);  // ids a restore could not rebuild are refused before any task exists
}

}  // namespace

IndexLimits host_index_limits() {
    IndexLimits l;
    std::ifstream f("/proc/sys/vm/max_map_count");
    uint64_t n = 0;
    if (f >> n) l.max_vmas = static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
    return l;
}

ImageIndex read_image_index(const std::string& image_file, const IndexLimits& limits) {
    auto source = transport::open_source(image_file);
    return read_image_index(*source, image_file, limits);
}

ImageIndex read_image_index(transport::Source& source, const std::string& image_file, const IndexLimits& limits) {
    // Everything but page contents is read and checked against TAIL here,
    // before the restore creates anything; the page contents are checked by
    // the second pass as they go into the stopped tasks.
    image::RecordReader reader(source, image::PageContents::skip);
    ImageIndex idx;
    idx.head = reader.read_head();
    image::check_cpu_compatible(idx.head);
    // predump: a pre-dump holds memory only; an image with a parent names it
    if (idx.head.flags & image::head_flag_pre_dump)
        fail("{} is a pre-dump (memory only, made with --pre-dump): restore the final checkpoint that names it as "
             "its parent", image_file);
    idx.lineage = driver::read_lineage(reader);
    bool have_ns = false;
    uint32_t memory_done = 0;
    uint64_t state_bytes = 0, tasks = 0, page_records = 0;
    uint64_t tmpfs_left = 0;
    ipc::IpcParser ipc_parser(idx.ipc);  // cr/ipc
    while (auto h = reader.next()) {
        auto type = static_cast<image::RecordType>(h->type);
        // --- cr/ipc (begin): after the namespaces and tmpfs, before the processes ---
        if (ipc::is_ipc_record(*h)) {
            if (!have_ns || !idx.processes.empty() || tmpfs_left > 0) reader.fail_at("an IPC record out of place");
            ipc_parser.feed(reader, *h);
            continue;
        }
        // --- cr/ipc (end) ---
        if (type == image::RecordType::buffer && h->objref == driver::section::ns) {
            if (have_ns || !idx.processes.empty()) reader.fail_at("a namespaces section out of place");
            idx.ns = driver::decode_namespaces(reader.read_buffer());
            have_ns = true;
        } else if (type == image::RecordType::buffer && h->objref == driver::section::netns) {  // cr/net
            if (!have_ns || !(idx.ns.flags & ns::ns_net) || idx.netns || idx.tmpfs_entries > 0 || ipc_parser.seen() ||
                !idx.processes.empty())
                reader.fail_at("a network namespace section out of place");
            idx.netns = net::decode_netns_config(reader.read_buffer());
      } else if (type == image::RecordType::buffer && h->objref == driver::section::tmpfs_entry) {
            if (!have_ns || !idx.processes.empty() || tmpfs_left > 0 || ipc_parser.seen())  // cr/ipc: IPC after tmpfs
                reader.fail_at("a tmpfs entry out of place");
            auto e = driver::decode_tmpfs_entry(reader.read_buffer());
            tmpfs_left = e.size;
            ++idx.tmpfs_entries;
        } else if (type == image::RecordType::buffer && h->objref == driver::section::tmpfs_data) {
            if (h->len > tmpfs_left || h->len == 0) reader.fail_at("tmpfs contents beyond their file's size");
            tmpfs_left -= h->len;
            reader.skip_payload();
        } else if (type == image::RecordType::buffer && h->objref == driver::section::process) {
            if (tmpfs_left > 0) reader.fail_at("a tmpfs file is missing {} bytes of contents", tmpfs_left);
            if (!have_ns || memory_done > 0 || (!idx.pages.empty() && !idx.pages.back().empty()))
                reader.fail_at("a process section out of place");
            if (idx.processes.empty()) ipc_parser.finish(reader);  // cr/ipc: the section is complete
            // Counted before the section is read: what the index keeps stays bounded.
            state_bytes += h->len;
            if (state_bytes > limits.max_state_bytes)
                reader.fail_at("the image's process sections add up to more than {} bytes at process {}, the most a "
                               "restore holds",
                               limits.max_state_bytes, idx.processes.size());
            auto st = driver::decode_process(reader.read_buffer(), limits.max_vmas);
            tasks += st.threads.size() + (st.core.leader_exited ? 1 : 0);
            if (limits.max_tasks > 0 && tasks > limits.max_tasks)
                reader.fail_at("the image holds {} tasks by its process {} (pid {}), more than the bundle's pids "
                               "limit of {} (linux.resources.pids.limit)",
                               tasks, idx.processes.size(), inner_pid(st), limits.max_tasks);
            idx.processes.push_back(std::move(st));
            idx.pages.emplace_back();
            idx.cow.emplace_back();
            idx.parent_pages.emplace_back();  // predump
        } else if (type == image::RecordType::cow_pages) {
            // proc20: pages shared with the parent, before the process's PAGES;
            // inside one private anonymous VMA of the process and covered by
            // its parent's (the restore checks the inherited mapping again).
            if (memory_done >= idx.processes.size() || h->objref != driver::pages_objref(memory_done))
                reader.fail_at("COW_PAGES for object {} where process {} was expected", h->objref, memory_done);
            auto c = reader.read_fixed<image::RecordType::cow_pages>();
            if (memory_done == 0) reader.fail_at("COW_PAGES in the memory of the root process, which has no parent");
            if (!idx.pages[memory_done].empty() || !idx.parent_pages[memory_done].empty())
                reader.fail_at("COW_PAGES after the PAGES or PARENT_PAGES of process {}", memory_done);
            if ((c.vaddr & 4095) || c.nr_pages == 0 || c.nr_pages > (1ull << 35) || c.vaddr + c.nr_pages * 4096 < c.vaddr)
                reader.fail_at("COW_PAGES at {:#x} with {} pages is out of range", c.vaddr, c.nr_pages);
            if (++page_records > limits.max_page_records)
                reader.fail_at("the image holds more than {} PAGES records, the most a restore indexes",
                               limits.max_page_records);
            uint64_t end = c.vaddr + c.nr_pages * 4096;
            const auto& st = idx.processes[memory_done];
            const auto& vmas = st.vmas;
            auto after = std::upper_bound(vmas.begin(), vmas.end(), c.vaddr,
                                          [](uint64_t a, const Vma& v) { return a < v.rec.start; });
            if (after == vmas.begin() || !is_private_anon(*std::prev(after)) || end > std::prev(after)->rec.end)
                reader.fail_at("COW_PAGES {:#x}-{:#x} lie outside every private anonymous VMA of the process", c.vaddr, end);
            auto parent = std::find_if(idx.processes.begin(), idx.processes.begin() + memory_done,
                                       [&](const ProcessState& p) { return p.core.ids.pid == st.core.ids.ppid; });
            if (parent == idx.processes.begin() + memory_done ||
                !covered_by_private_anon(parent->vmas, std::prev(after)->rec.start, std::prev(after)->rec.end))
                reader.fail_at("COW_PAGES {:#x}-{:#x}: the parent of process {} maps no private anonymous memory there",
                               c.vaddr, end, inner_pid(st));
            auto& runs = idx.cow[memory_done];
            if (!runs.empty() && c.vaddr < runs.back().start + runs.back().npages * 4096)
                reader.fail_at("COW_PAGES at {:#x} out of order", c.vaddr);
            runs.push_back({c.vaddr, c.nr_pages});
        } else if (type == image::RecordType::parent_pages) {
            // predump: pages whose contents the parent chain holds, after
            // COW_PAGES and before PAGES, inside one non-special VMA.
            if (memory_done >= idx.processes.size() || h->objref != driver::pages_objref(memory_done))
                reader.fail_at("PARENT_PAGES for object {} where process {} was expected", h->objref, memory_done);
            auto c = reader.read_fixed<image::RecordType::parent_pages>();
            if (!idx.lineage) reader.fail_at("PARENT_PAGES in an image without a parent");
            if (!idx.pages[memory_done].empty()) reader.fail_at("PARENT_PAGES after the PAGES of process {}", memory_done);
            if ((c.vaddr & 4095) || c.nr_pages == 0 || c.nr_pages > (1ull << 35) || c.vaddr + c.nr_pages * 4096 < c.vaddr)
                reader.fail_at("PARENT_PAGES at {:#x} with {} pages is out of range", c.vaddr, c.nr_pages);
            if (++page_records > limits.max_page_records)
                reader.fail_at("the image holds more than {} PAGES records, the most a restore indexes",
                               limits.max_page_records);
            uint64_t end = c.vaddr + c.nr_pages * 4096;
            const auto& vmas = idx.processes[memory_done].vmas;
            auto after = std::upper_bound(vmas.begin(), vmas.end(), c.vaddr,
                                          [](uint64_t a, const Vma& v) { return a < v.rec.start; });
            if (after == vmas.begin() || std::prev(after)->is_special() || end > std::prev(after)->rec.end)
                reader.fail_at("PARENT_PAGES {:#x}-{:#x} lie outside every VMA of the process", c.vaddr, end);
            auto& runs = idx.parent_pages[memory_done];
            if (!runs.empty() && c.vaddr < runs.back().start + runs.back().npages * 4096)
                reader.fail_at("PARENT_PAGES at {:#x} out of order", c.vaddr);
            const auto& cow = idx.cow[memory_done];
            auto k = std::upper_bound(cow.begin(), cow.end(), c.vaddr, [](uint64_t a, const PageRun& r) { return a < r.start; });
            if ((k != cow.end() && k->start < end) ||
                (k != cow.begin() && std::prev(k)->start + std::prev(k)->npages * 4096 > c.vaddr))
                reader.fail_at("PARENT_PAGES at {:#x} overlap the pages shared with the parent process", c.vaddr);
            runs.push_back({c.vaddr, c.nr_pages});
            idx.total_parent_pages += c.nr_pages;
        } else if (type == image::RecordType::pages) {
            if (memory_done >= idx.processes.size() || h->objref != driver::pages_objref(memory_done))
                reader.fail_at("PAGES for object {} where process {} was expected", h->objref, memory_done);
            auto p = reader.read_fixed<image::RecordType::pages>();
            uint64_t len = 0;
            if (!image::pages_contents_len(p, len) || p.page_shift != 12 || (p.vaddr & 4095) || p.vaddr + len < p.vaddr)
                reader.fail_at("PAGES at {:#x} with {} pages of shift {} is out of range", p.vaddr, p.nr_pages,
                               p.page_shift);
            if (++page_records > limits.max_page_records)
                reader.fail_at("the image holds more than {} PAGES records, the most a restore indexes",
                               limits.max_page_records);
            // The VMAs are in address order (the codec checks): the one that
            // could hold these pages is the last that starts at or below them.
            const auto& vmas = idx.processes[memory_done].vmas;
            auto after = std::upper_bound(vmas.begin(), vmas.end(), p.vaddr,
                                          [](uint64_t a, const Vma& v) { return a < v.rec.start; });
            bool inside = after != vmas.begin() && !std::prev(after)->is_special() &&
                          p.vaddr + len <= std::prev(after)->rec.end;
            if (!inside) reader.fail_at("PAGES {:#x}+{:#x} lie outside every VMA of the process", p.vaddr, len);
            auto& ranges = idx.pages[memory_done];
            if (!ranges.empty() && p.vaddr < ranges.back().end) reader.fail_at("PAGES at {:#x} out of order", p.vaddr);
            {  // proc20: no page both in the image and taken from the parent
                const auto& cow = idx.cow[memory_done];
                auto c = std::upper_bound(cow.begin(), cow.end(), p.vaddr,
                                          [](uint64_t a, const PageRun& r) { return a < r.start; });
                if ((c != cow.end() && c->start < p.vaddr + len) ||
                    (c != cow.begin() && std::prev(c)->start + std::prev(c)->npages * 4096 > p.vaddr))
                    reader.fail_at("PAGES at {:#x} overlap the pages shared with the parent", p.vaddr);
            }
            {  // predump: no page both here and in the parent image
                const auto& pp = idx.parent_pages[memory_done];
                auto c = std::upper_bound(pp.begin(), pp.end(), p.vaddr,
                                          [](uint64_t a, const PageRun& r) { return a < r.start; });
                if ((c != pp.end() && c->start < p.vaddr + len) ||
                    (c != pp.begin() && std::prev(c)->start + std::prev(c)->npages * 4096 > p.vaddr))
                    reader.fail_at("PAGES at {:#x} overlap PARENT_PAGES", p.vaddr);
            }
            ranges.push_back({p.vaddr, p.vaddr + len, reader.offset()});
            idx.total_pages += p.nr_pages;
        } else if (type == image::RecordType::buffer && h->objref == driver::section::memory_end) {
            auto b = reader.read_buffer();
            uint32_t index = 0;
            if (b.size() != sizeof index) reader.fail_at("a memory end marker of {} bytes", b.size());
            std::memcpy(&index, b.data(), sizeof index);
            if (index != memory_done || memory_done >= idx.processes.size())
                reader.fail_at("memory end of process {} where {} was expected", index, memory_done);
            ++memory_done;
        } else if (is_files_record(*h) && !idx.processes.empty() && memory_done == 0 && idx.pages.back().empty()) {
            // The process's files section (cr/files): read for real by the
            // second pass, which creates its objects; here the reader's own
            // checks (type, length, checksum) are all it gets.
            reader.skip_payload();
        } else {
            reader.fail_at("unexpected {} record (objref {:#x}) in a container image",
                           image::record_type_name(h->type), h->objref);
        }
    }
    if (!have_ns) fail("image {} has no namespaces section", image_file);
    if (memory_done != idx.processes.size())
        fail("image {} has memory for {} of its {} processes", image_file, memory_done, idx.processes.size());
    check_tree(idx);
    for (auto& p : idx.processes) ipc::check_vmas(idx.ipc, p.vmas, inner_pid(p));  // cr/ipc
    return idx;
}

}  // namespace myrt::cr
