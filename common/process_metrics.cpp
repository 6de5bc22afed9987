// process_* metrics as the Prometheus client libraries define them, read from /proc.
#include <dirent.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "common/metrics.hpp"

namespace parley::common {

namespace {

double resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

double open_fds() {
  double n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
    n -= 3;  // ".", ".." and the directory's own fd
  }
  return n;
}

}  // namespace

void register_process_metrics(metrics_registry& reg) {
  auto start =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  reg.add_callback("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
                   resident_bytes);
  reg.add_callback("process_cpu_seconds_total", "Total user and system CPU time in seconds.",
                   "counter", cpu_seconds);
  reg.add_callback("process_open_fds", "Number of open file descriptors.", "gauge", open_fds);
  reg.add_callback("process_start_time_seconds", "Start time since the Unix epoch in seconds.",
                   "gauge", [start] { return start; });
}

}  // namespace parley::common
