#pragma once
#include <string>

namespace myrt::runtime {
// "0" (a liveness check), "9", "KILL", "SIGKILL", "sigkill", "RTMIN+3" -> signal number; unknown is an error naming it.
int parse_signal(const std::string& s);
}
