#pragma once
// The final JSON report: machine, date, git commit, settings and each run's results (plus
// parley/baseline ratios with --baseline). Built on the main thread after the runs.
#include <string>
#include <vector>

#include "bench/parley_bench/options.hpp"
#include "bench/parley_bench/run.hpp"

namespace parley::bench {

struct machine_info {
  int nproc = 0;
  std::string cpu_model;  ///< "model name" of /proc/cpuinfo, "" if unknown
  std::string hostname;
  std::string kernel;
};

[[nodiscard]] machine_info probe_machine();
/// PARLEY_BENCH_COMMIT if set, else `git rev-parse --short HEAD` of the source tree parley-bench
/// was built from; "" when git or the repository is missing.
[[nodiscard]] std::string git_commit();

/// runs[0] is parley; a run whose server is "baseline" adds the ratios.
[[nodiscard]] std::string report_json(const bench_options& o, const std::vector<run_result>& runs);

}  // namespace parley::bench
