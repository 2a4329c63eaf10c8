// cgroup_bench [ROUNDS]
//
// The cost of one container's cgroup life (create in every hierarchy, write a
// memory limit, a pids limit and cpu shares, move a process in, move it out,
// remove) done three ways, side by side within each round:
//   myrt      runtime/cgroup's Cgroup (the code `myrt run` uses)
//   libcgroup Debian's libcgroup 2.0 (cgroup_new_cgroup .. cgroup_delete_cgroup)
//   floor     the bare syscalls: mkdir, one write(2) per file, rmdir
// and what each one placed where: on a hybrid host the question is also
// whether the library sees the v2 hierarchy at all. docs/cgroups.md quotes it.
#include <fcntl.h>
#include <libcgroup.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroupfs.hpp"
#include "util/error.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t memory_limit = 64 << 20;

// A child that sleeps until killed: the process moved in and out.
pid_t start_sleeper() {
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    if (pid < 0) myrt::throw_errno("fork");
    return pid;
}

std::string v1_mount(const std::string& controller) {
    const auto probe = myrt::cgroup::Cgroup::for_container("", "probe", "/");
    for (auto& h : probe.v1_hierarchies())
        if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end())
            return h.mount_point;
    return {};
}

void round_myrt(const std::string& name, pid_t pid) {
    auto cg = myrt::cgroup::Cgroup::for_container("", name, "/myrt-cgbench");
    cg.create();
    myrt::spec::Resources r;
    r.memory.emplace().limit = memory_limit;
    r.pids.emplace().limit = 64;
    r.cpu.emplace().shares = 512;
    cg.apply(r);
    cg.add_process(pid);
    // Back to the root of each hierarchy, as the process leaves (a removal needs it empty).
    const std::string p = std::to_string(pid);
    for (auto& h : cg.v1_hierarchies()) myrt::cgroup::fs::write(h.mount_point, "cgroup.procs", p);
    if (!cg.unified_mount().empty()) myrt::cgroup::fs::write(cg.unified_mount(), "cgroup.procs", p);
    cg.destroy();
}

void check_cg(int rc, const char* what) {
    if (rc != 0) myrt::fail("libcgroup {}: {}", what, cgroup_strerror(rc));
}

void round_libcgroup(const std::string& name, pid_t pid) {
    std::string path = "myrt-cgbench/" + name;
    cgroup* cg = cgroup_new_cgroup(path.c_str());
    if (!cg) myrt::fail("cgroup_new_cgroup {}", path);
    cgroup_controller* mem = cgroup_add_controller(cg, "memory");
    cgroup_controller* pids = cgroup_add_controller(cg, "pids");
    cgroup_controller* cpu = cgroup_add_controller(cg, "cpu");
    if (!mem || !pids || !cpu) myrt::fail("cgroup_add_controller");
    check_cg(cgroup_add_value_int64(mem, "memory.limit_in_bytes", memory_limit), "memory.limit_in_bytes");
    check_cg(cgroup_add_value_int64(pids, "pids.max", 64), "pids.max");
    check_cg(cgroup_add_value_uint64(cpu, "cpu.shares", 512), "cpu.shares");
    check_cg(cgroup_create_cgroup(cg, 0), "cgroup_create_cgroup");
    check_cg(cgroup_attach_task_pid(cg, pid), "cgroup_attach_task_pid");
    cgroup* root = cgroup_new_cgroup("/");
    cgroup_add_controller(root, "memory");
    cgroup_add_controller(root, "pids");
    cgroup_add_controller(root, "cpu");
    check_cg(cgroup_attach_task_pid(root, pid), "attach to /");
    cgroup_free(&root);
    check_cg(cgroup_delete_cgroup(cg, 0), "cgroup_delete_cgroup");
    cgroup_free(&cg);
}

struct FloorDirs {
    std::string memory, pids, cpu;
};

void write_file(const std::string& path, const std::string& value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) myrt::throw_errno("open {}", path);
    ssize_t n = ::write(fd, value.data(), value.size());
    int e = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(value.size())) throw myrt::SystemError(e, "write " + path);
}

void round_floor(const FloorDirs& m, const std::string& name, pid_t pid) {
    const std::string p = std::to_string(pid);
    const std::pair<const std::string*, const char*> files[] = {
        {&m.memory, "memory.limit_in_bytes"}, {&m.pids, "pids.max"}, {&m.cpu, "cpu.shares"}};
    const std::string values[] = {std::to_string(memory_limit), "64", "512"};
    for (int i = 0; i < 3; ++i) {
        std::string dir = *files[i].first + "/myrt-cgbench/" + name;
        if (::mkdir(dir.c_str(), 0755) != 0) myrt::throw_errno("mkdir {}", dir);
        write_file(dir + "/" + files[i].second, values[i]);
        write_file(dir + "/cgroup.procs", p);
    }
    for (int i = 0; i < 3; ++i) write_file(*files[i].first + "/cgroup.procs", p);
    for (int i = 0; i < 3; ++i) {
        std::string dir = *files[i].first + "/myrt-cgbench/" + name;
        if (::rmdir(dir.c_str()) != 0) myrt::throw_errno("rmdir {}", dir);
    }
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
    int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
    if (rounds < 1) myrt::fail("ROUNDS must be a positive integer");
    if (auto layout = myrt::cgroup::detect_layout(); layout == myrt::cgroup::Layout::v2)
        myrt::fail("this benchmark compares v1 controllers (memory, pids, cpu): the host is pure cgroup v2");
    int rc = cgroup_init();
    if (rc != 0) myrt::fail("cgroup_init: {}", cgroup_strerror(rc));

    FloorDirs floor{v1_mount("memory"), v1_mount("pids"), v1_mount("cpu")};
    if (floor.memory.empty() || floor.pids.empty() || floor.cpu.empty())
        myrt::fail("the memory, pids and cpu v1 controllers must be mounted");
    for (auto* d : {&floor.memory, &floor.pids, &floor.cpu}) ::mkdir((*d + "/myrt-cgbench").c_str(), 0755);

    // What libcgroup sees of this host: its mount table per controller.
    std::printf("libcgroup's view of the hierarchies:\n");
    for (const char* c : {"memory", "pids", "cpu", "hugetlb", "freezer"}) {
        char* mount = nullptr;
        int r = cgroup_get_subsys_mount_point(c, &mount);
        std::printf("  %-8s %s\n", c, r == 0 ? mount : cgroup_strerror(r));
        std::free(mount);
    }
    std::printf("myrt's layout: %s, unified hierarchy at %s\n",
                myrt::cgroup::to_string(myrt::cgroup::detect_layout()).c_str(),
                myrt::cgroup::Cgroup::for_container("", "probe").unified_mount().c_str());

    pid_t pid = start_sleeper();
    std::vector<double> t_myrt, t_lib, t_floor;
    auto timed = [](std::vector<double>& into, const std::function<void()>& fn) {
        auto t0 = Clock::now();
        fn();
        into.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    };
    for (int i = 0; i < rounds + 5; ++i) {
        std::vector<double> sink;
        std::string n = "r" + std::to_string(i);
        bool warm = i < 5;
        timed(warm ? sink : t_myrt, [&] { round_myrt("m" + n, pid); });
        timed(warm ? sink : t_lib, [&] { round_libcgroup("l" + n, pid); });
        timed(warm ? sink : t_floor, [&] { round_floor(floor, "f" + n, pid); });
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    for (auto* d : {&floor.memory, &floor.pids, &floor.cpu}) ::rmdir((*d + "/myrt-cgbench").c_str());
    auto m = myrt::cgroup::Cgroup::for_container("", "probe", "/");
    if (!m.unified_mount().empty()) ::rmdir((m.unified_mount() + "/myrt-cgbench").c_str());
    for (auto& h : m.v1_hierarchies()) ::rmdir((h.mount_point + "/myrt-cgbench").c_str());

    double a = median(t_myrt), b = median(t_lib), c = median(t_floor);
    std::printf("\n%d rounds, median microseconds per cgroup life (create, 3 limits, join, leave, remove):\n", rounds);
    std::printf("  myrt      %8.1f  (every hierarchy: %zu v1 + unified)\n", a, m.v1_hierarchies().size());
    std::printf("  libcgroup %8.1f  (memory, pids, cpu only)\n", b);
    std::printf("  floor     %8.1f  (memory, pids, cpu only)\n", c);
    std::printf("  myrt/libcgroup %.2f, myrt/floor %.2f, libcgroup/floor %.2f\n", a / b, a / c, b / c);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "cgroup_bench: %s\n", e.what());
    return 1;
}
