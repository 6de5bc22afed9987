#pragma once
// A child process for integration tests: started with fork/exec, output to a log file,
// stopped by PID (never pkill). The destructor kills what is still running.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parley::test {

class child_process {
 public:
  child_process() = default;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();

  /// Starts `path args...` with the current environment plus `env`; output goes to `log`.
  void start(const std::string& path, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env, const std::string& log);
  void signal(int sig) const;
  /// Waits for the exit; returns the exit code (128+signal when killed), or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string output() const;

 private:
  pid_t pid_ = -1;
  std::string log_;
};

/// A TCP port that was free a moment ago (bound to port 0 and released).
int free_port();
/// True when nothing listens on (or holds) loopback `port` right now.
bool port_is_free(int port);

/// Runs a shell command; returns its stdout (trimmed). Throws on a non-zero exit.
std::string run_command(const std::string& cmd);

}  // namespace parley::test
