#include "runtime/signals.hpp"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "util/error.hpp"

namespace myrt::runtime {

int parse_signal(const std::string& input) {
    static const std::map<std::string, int> names = {
        {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},     {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
        {"POLL", SIGPOLL}, {"PWR", SIGPWR},     {"SYS", SIGSYS}};
    if (input.empty()) fail("signal must not be empty");
    if (std::all_of(input.begin(), input.end(), ::isdigit)) {
        int n = 0;
        try {
            n = std::stoi(input);
        } catch (...) {
            fail("invalid signal \"{}\"", input);
        }
        // 0 sends nothing: it asks whether the process is alive (kill(2)), as runc allows.
        if (n < 0 || n > SIGRTMAX) fail("invalid signal \"{}\": out of range 0-{}", input, SIGRTMAX);
        return n;
    }
    std::string s = input;
    std::transform(s.begin(), s.end(), s.begin(), ::toupper);
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    if (auto it = names.find(s); it != names.end()) return it->second;
    auto rt = [&](const std::string& base, int origin, int sign) -> int {
        if (s == base) return origin;
        if (s.rfind(base, 0) == 0 && s.size() > base.size() + 1 && (s[base.size()] == '+' || s[base.size()] == '-')) {
            int off = std::stoi(s.substr(base.size() + 1));
            int n = origin + (s[base.size()] == '+' ? off : -off) * sign;
            if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
        }
        return -1;
    };
    try {
        if (int n = rt("RTMIN", SIGRTMIN, 1); n > 0) return n;
        if (int n = rt("RTMAX", SIGRTMAX, 1); n > 0) return n;
    } catch (...) {
    }
    fail("unknown signal \"{}\"", input);
}

}  // namespace myrt::runtime
