// parleyd: one node of a parley cluster. See README.md and cluster.conf.
#include <malloc.h>

#include <csignal>
#include <iostream>

#include "apps/parleyd/node.hpp"
#include "messages/register.hpp"
#include "supervisors/node_config.hpp"

int main(int argc, char** argv) {
  // Block the stop signals in every thread before any is started; run_node waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Freed memory is kept for reuse instead of going back to the kernel after every burst: a
  // heap that shrank and grew again took a tenth of the node's CPU in page faults under load
  // (bench/RESULTS.md). Mass passivation still gives memory back (malloc_trim, tenants router).
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);

  parley::node_config cfg;
  parley::register_messages(cfg);
  if (auto err = parley::load(cfg, argc, argv); !err.empty()) {
    std::cerr << "parleyd: " << err << "\n";
    return parley::exit_bad_config;
  }
  if (cfg.cli_helptext_printed) return parley::exit_ok;
  return parley::run_node(cfg);
}
