// libFuzzer target for every decoder a restore runs before any task exists:
// the first pass over a whole image (read_image_index: the driver's section
// order, the process/namespaces/tmpfs codecs, the IPC parser, the PAGES
// index), each section codec on its own (the netns section's JSON too), the
// IPC parser and the unix and inet socket tables on a record stream. The first input byte picks the decoder, the rest
// is its input; any input must end in a myrt::Error or a clean decode, never
// a crash, a sanitizer report or an allocation above smoke.sh's limit.
#include <cstdint>
#include <span>

#include "cr/driver/codec.hpp"
#include "cr/driver/image_chain.hpp"
#include "cr/fuzz/decoder_targets.hpp"
#include "cr/image/record_reader.hpp"
#include "cr/ipc/ipc_parser.hpp"
#include "cr/net/inet_table.hpp"
#include "cr/net/netns_config.hpp"
#include "cr/net/unix_table.hpp"
#include "cr/restore/image_index.hpp"
#include "cr/transport/memory_stream.hpp"
#include "util/error.hpp"

using namespace myrt::cr;

namespace {

void run(fuzz::Target target, std::span<const std::byte> in) {
    switch (target) {
        case fuzz::Target::image_index: {
            transport::MemorySource src(in, "fuzz");
            IndexLimits limits;
            limits.max_tasks = 64;  // as a bundle's pids limit would
            read_image_index(src, "fuzz", limits);
            break;
        }
        case fuzz::Target::predump_image: {
            transport::MemorySource src(in, "fuzz");
            driver::read_predump_image(src, "fuzz");
            break;
        }
        case fuzz::Target::process: driver::decode_process(in); break;
        case fuzz::Target::namespaces: driver::decode_namespaces(in); break;
        case fuzz::Target::tmpfs_entry: driver::decode_tmpfs_entry(in); break;
        case fuzz::Target::ipc: {
            transport::MemorySource src(in, "fuzz");
            image::RecordReader r(src);
            r.read_head();
            ipc::IpcIndex idx;
            ipc::IpcParser p(idx);
            while (auto h = r.next()) {
                if (!ipc::is_ipc_record(*h)) {
                    p.finish(r);
                    return;
                }
                p.feed(r, *h);
            }
            p.finish(r);
            break;
        }
        case fuzz::Target::unix_table: {
            if (in.size() < 2) return;
            // The count of sockets comes from the UNIX_FILE record in an image.
            uint32_t count = static_cast<uint32_t>(in[0]) | static_cast<uint32_t>(in[1]) << 8;
            transport::MemorySource src(in.subspan(2), "fuzz");
            image::RecordReader r(src);
            r.read_head();
            net::read_table(r, fuzz::unix_table_objref, count);
            break;
        }
        case fuzz::Target::netns_config: net::decode_netns_config(in); break;
        case fuzz::Target::inet_table: {
            if (in.size() < 2) return;
            // The count of sockets comes from the INET_FILE record in an image.
            uint32_t count = static_cast<uint32_t>(in[0]) | static_cast<uint32_t>(in[1]) << 8;
            transport::MemorySource src(in.subspan(2), "fuzz");
            image::RecordReader r(src);
            r.read_head();
            net::read_inet_table(r, fuzz::inet_table_objref, count);
            break;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    auto target = static_cast<fuzz::Target>(data[0] % fuzz::target_count);
    std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    try {
        run(target, in);
    } catch (const myrt::Error&) {
    }
    return 0;
}
