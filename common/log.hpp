#pragma once
// One named logger per module ("node", "io", "actors", "persistence", "cluster"), all writing
// to stderr through one sink: JSON lines by default, plain text for people at a terminal.
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace parley::common::log {

enum class format { json, text };

/// Sets format and level ("trace".."critical", "off") for every logger. Call once at start.
void setup(format f, const std::string& level, const std::string& node_name);

/// The module's logger (created on first use).
std::shared_ptr<spdlog::logger> get(const std::string& module);

}  // namespace parley::common::log
