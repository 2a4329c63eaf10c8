#pragma once
// The whole-container image, as the checkpoint driver lays it out in one
// stream (myrt.img):
//   HEAD
//   BUFFER section::ns              namespaces (NamespaceState)
//   BUFFER section::netns           when the network namespace is the container's own: its links,
//                                   addresses, routes and net.* sysctls (cr/net/netns_config.hpp, JSON)
//   for each entry of the container's tmpfs mounts (cr/ns/tmpfs_contents.hpp):
//     BUFFER section::tmpfs_entry   TmpfsEntry
//     BUFFER section::tmpfs_data .. a file's contents, entry.size bytes in all
//   BUFFER section::process  x N    every process's state, root (the container's pid 1) first,
//                                   parents before children
//   for each process i, in the same order:
//     PAGES (objref = i + 1) ...    its dumped memory, in address order
//     BUFFER section::memory_end    payload: u32 i
//   TAIL
// The sections travel as BUFFER records whose objref is the section tag,
// because records.hpp has no task or namespace record types yet; each
// payload is encoded by the codec beside this file and decoded with every
// length checked (the image is untrusted).
#include <cstdint>

namespace myrt::cr::driver {

namespace section {
inline constexpr uint64_t ns = 0x6d79727400000001ull;          // "myrt" << 32 | 1
inline constexpr uint64_t process = 0x6d79727400000002ull;
inline constexpr uint64_t memory_end = 0x6d79727400000003ull;
inline constexpr uint64_t tmpfs_entry = 0x6d79727400000004ull;
inline constexpr uint64_t tmpfs_data = 0x6d79727400000005ull;
inline constexpr uint64_t netns = 0x6d79727400000020ull;       // cr/net (issue 19 range 0x20-0x2f)
}  // namespace section

// BUFFERs with these objrefs belong to the driver; others to the files layer.
inline constexpr bool is_section_tag(uint64_t objref) { return (objref >> 32) == 0x6d797274ull; }

// objref of the PAGES records of process `index`.
inline constexpr uint64_t pages_objref(uint32_t index) { return uint64_t{index} + 1; }

}  // namespace myrt::cr::driver
