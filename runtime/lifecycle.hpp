#pragma once
// Operations on an existing container: the library behind start, state, kill,
// delete, pause, resume, ps and update.
#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/container_state.hpp"
#include "spec/config.hpp"

namespace myrt::runtime {

// The live status, from the process, the freezer and the exec fifo.
Status current_status(const StateStore& store, const ContainerState& st);

void start_container(const StateStore& store, const std::string& id);
// `run`'s start, after create_container with start_immediately: the init is
// already on its way; with poststart hooks (exec_watch given), they run once
// its execve closed the channel, as `start` runs them. A failing poststart hook
// throws (start has then killed and removed the container; run's caller deletes it).
void finish_immediate_start(const ContainerState& st, int exec_watch);
void kill_container(const StateStore& store, const std::string& id, int sig, bool all);
void delete_container(const StateStore& store, const std::string& id, bool force);
// What delete does once the init is killed: kills what is left in the cgroup,
// removes it, runs poststop hooks and removes the state directory. The caller
// holds the container's lock (checkpoint without --leave-running ends so, as runc).
void destroy_container(const StateStore& store, const ContainerState& st);
void pause_container(const StateStore& store, const std::string& id);
void resume_container(const StateStore& store, const std::string& id);
std::vector<pid_t> container_pids(const StateStore& store, const std::string& id);
void update_container(const StateStore& store, const std::string& id, const spec::Resources& r,
                      const nlohmann::json& resources_json);

// Waits until the process is gone (or a zombie), up to timeout_ms; true when it is.
bool wait_for_exit(pid_t pid, unsigned long long start_time, int timeout_ms);

}  // namespace myrt::runtime
