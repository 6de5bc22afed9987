#pragma once
// One parley node: owns the database pool, metrics, HTTP server and actor system, starts them
// in order and stops them in reverse. Lives in parleyd's main thread.
#include <memory>
#include <string>

namespace parley {

class node_config;

/// Exit codes of parleyd, for scripts and tests.
enum exit_code : int {
  exit_ok = 0,
  exit_bad_config = 2,
  exit_bind_failed = 3,
  exit_database_failed = 4,
};

/// Runs the node until SIGTERM or SIGINT; returns the process exit code.
int run_node(node_config& cfg);

}  // namespace parley
