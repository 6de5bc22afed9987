// parleyd: one node of a parley cluster. See README.md and cluster.conf.
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

  parley::node_config cfg;
  parley::register_messages(cfg);
  if (auto err = parley::load(cfg, argc, argv); !err.empty()) {
    std::cerr << "parleyd: " << err << "\n";
    return parley::exit_bad_config;
  }
  if (cfg.cli_helptext_printed) return parley::exit_ok;
  return parley::run_node(cfg);
}
