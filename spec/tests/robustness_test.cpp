// Random mutations of valid inputs never crash the parser: every outcome is
// either a parsed config or a myrt::Error (no other exception type escapes).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "spec/config.hpp"
#include "spec/site_config.hpp"
#include "test_support.hpp"

using namespace myrt::spec;
using namespace myrt::spec::testing;
using nlohmann::json;

namespace {

class Mutator {
public:
    explicit Mutator(uint32_t seed) : rng_(seed) {}

    json random_value(int depth = 0) {
        switch (pick(depth > 2 ? 7 : 9)) {
            case 0: return nullptr;
            case 1: return pick(2) == 0;
            case 2: return static_cast<int64_t>(rng_()) - (1LL << 31);
            case 3: return std::numeric_limits<uint64_t>::max() - pick(3);
            case 4: return std::numeric_limits<int64_t>::min() + pick(3);
            case 5: return 3.25;
            case 6: return random_string();
            case 7: {
                json a = json::array();
                for (int i = pick(4); i > 0; --i) a.push_back(random_value(depth + 1));
                return a;
            }
            default: {
                json o = json::object();
                for (int i = pick(4); i > 0; --i) o[random_string()] = random_value(depth + 1);
                return o;
            }
        }
    }

    // Changes one node somewhere in `doc`.
    void mutate(json& doc) {
        json* node = &doc;
        // Walk down a random path, stopping early sometimes.
        while ((node->is_object() || node->is_array()) && !node->empty() && pick(4) != 0) {
            auto it = node->begin();
            std::advance(it, pick(static_cast<int>(node->size())));
            node = &*it;
        }
        switch (pick(6)) {
            case 0: *node = random_value(); break;
            case 1:
                if (node->is_object() && !node->empty()) node->erase(node->begin());
                else *node = nullptr;
                break;
            case 2:
                if (node->is_array()) node->push_back(random_value());
                else if (node->is_object()) (*node)[random_key()] = random_value();
                else *node = json::array({*node});
                break;
            case 3:
                if (node->is_string()) *node = random_string();
                else *node = random_value();
                break;
            case 4:
                if (node->is_number_integer()) *node = -node->get<int64_t>() - 1;
                else *node = json::object();
                break;
            default:
                if (node->is_object() && !node->empty()) {
                    auto it = node->begin();
                    std::advance(it, pick(static_cast<int>(node->size())));
                    *it = random_value();
                }
                break;
        }
    }

    int pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

private:
    std::string random_string() {
        static const std::vector<std::string> pool = {
            "", "/", "rel/path", "pid", "network", "user", "time", "SCMP_ACT_NOTIFY", "SCMP_CMP_EQ",
            "CAP_SYS_ADMIN", "RLIMIT_NOFILE", "net.ipv4.ip_forward", "kernel.shmmax", "a:b:c", "c", "p",
            "\xff\xfe", std::string(300, 'x'), "1.0.0", "9.9.9"};
        return pool[pick(static_cast<int>(pool.size()))];
    }
    std::string random_key() {
        static const std::vector<std::string> keys = {
            "ociVersion", "process", "root", "hostname", "mounts", "hooks", "linux", "args", "cwd", "namespaces",
            "resources", "memory", "limit", "seccomp", "syscalls", "devices", "major", "timeOffsets", "sysctl",
            "uidMappings", "type", "path", "unknownField"};
        return keys[pick(static_cast<int>(keys.size()))];
    }

    std::mt19937 rng_;
};

void expect_only_myrt_errors(const json& doc, size_t iteration) {
    try {
        Config c = parse_config(doc);
        (void)config_to_json(c);
        validate_for_create(c);
    } catch (const myrt::Error&) {
    } catch (const std::exception& e) {
        FAIL() << "iteration " << iteration << ": non-myrt exception " << e.what() << "\n" << doc.dump();
    }
}

}  // namespace

TEST(Robustness, MutatedConfigsOnlyThrowMyrtError) {
    const json seeds[] = {load_fixture("full-config.json"), load_fixture("runc-spec.json"),
                          load_fixture("runc-spec-rootless.json"), load_fixture("podman-4.3.1-config.json")};
    Mutator m(12345);
    size_t parsed_ok = 0;
    for (size_t i = 0; i < 30000; ++i) {
        json doc = seeds[i % std::size(seeds)];
        for (int n = 1 + m.pick(4); n > 0; --n) m.mutate(doc);
        try {
            parse_config(doc);
            ++parsed_ok;
        } catch (...) {
        }
        expect_only_myrt_errors(doc, i);
        if (::testing::Test::HasFailure()) break;
    }
    // Mutations that hit unknown or optional fields still parse: the test
    // exercises both outcomes, not only the error path.
    EXPECT_GT(parsed_ok, 100u);
}

TEST(Robustness, MutatedProcessAndResourcesOnlyThrowMyrtError) {
    json full = load_fixture("full-config.json");
    Mutator m(777);
    for (size_t i = 0; i < 5000; ++i) {
        json process = full["process"];
        json resources = full["linux"]["resources"];
        m.mutate(process);
        m.mutate(resources);
        try {
            (void)process_to_json(parse_process(process));
        } catch (const myrt::Error&) {
        }
        try {
            (void)resources_to_json(parse_resources(resources));
        } catch (const myrt::Error&) {
        }
    }
}

TEST(Robustness, CorruptedConfigFilesOnlyThrowMyrtError) {
    std::string text = load_fixture("full-config.json").dump(1);
    auto dir = std::filesystem::temp_directory_path() / ("myrt-spec-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string alphabet = "{}[]\",:0123456789-.eE\\ntrufalsn \x01\xff";
    Mutator m(4242);
    size_t loaded = 0;
    for (size_t i = 0; i < 2000; ++i) {
        std::string bad = text;
        for (int n = 1 + m.pick(3); n > 0; --n) {
            size_t pos = m.pick(static_cast<int>(bad.size()));
            switch (m.pick(3)) {
                case 0: bad[pos] = alphabet[m.pick(static_cast<int>(alphabet.size()))]; break;
                case 1: bad.erase(pos, 1 + m.pick(8)); break;
                default: bad.insert(pos, 1, alphabet[m.pick(static_cast<int>(alphabet.size()))]); break;
            }
        }
        {
            std::ofstream out(dir / "config.json", std::ios::trunc);
            out << bad;
        }
        try {
            (void)load_config(dir.string());
            ++loaded;
        } catch (const myrt::Error&) {
        } catch (const std::exception& e) {
            ADD_FAILURE() << "non-myrt exception " << e.what();
            break;
        }
    }
    std::filesystem::remove_all(dir);
    // Some corruptions land in strings and still load: both outcomes are exercised.
    EXPECT_GT(loaded, 0u);
}

TEST(Robustness, MutatedSiteConfigTextOnlyThrowsMyrtError) {
    const std::string good =
        "root: /run/myrt\nlog_level: info\nlog_format: text\ncgroup_layout: auto\ncgroup_parent: /myrt\n"
        "checkpoint:\n  image_dir_default: /x\n  leave_running: false\n  file_locks: true\n";
    const std::string alphabet = ":-[]{}\n #&*!|>'\"%@`\t,?ab0/";
    Mutator m(99);
    for (size_t i = 0; i < 20000; ++i) {
        std::string text = good;
        for (int n = 1 + m.pick(6); n > 0; --n) {
            size_t pos = m.pick(static_cast<int>(text.size()));
            switch (m.pick(3)) {
                case 0: text[pos] = alphabet[m.pick(static_cast<int>(alphabet.size()))]; break;
                case 1: text.erase(pos, 1 + m.pick(5)); break;
                default: text.insert(pos, 1, alphabet[m.pick(static_cast<int>(alphabet.size()))]); break;
            }
        }
        try {
            (void)parse_site_config(text, "fuzz.yaml");
        } catch (const myrt::Error&) {
        } catch (const std::exception& e) {
            FAIL() << "non-myrt exception " << e.what() << " for:\n" << text;
        }
    }
}
