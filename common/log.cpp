#include "common/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <mutex>

#include "common/json_writer.hpp"

namespace parley::common::log {

namespace {

std::string node_name_;
format format_ = format::json;

// {"ts":"2026-11-21T23:00:00.123456Z","level":"info","logger":"io","node":"node1","msg":"..."}
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto tp = msg.time;
    auto secs = std::chrono::system_clock::to_time_t(tp);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(tp.time_since_epoch() %
                                                                        std::chrono::seconds{1})
                      .count();
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[40];
    auto n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(ts + n, sizeof ts - n, ".%06ldZ", static_cast<long>(micros));
    std::string line;
    line.reserve(128 + msg.payload.size());
    line += "{\"ts\":\"";
    line += ts;
    line += "\",\"level\":\"";
    auto lv = spdlog::level::to_string_view(msg.level);
    line.append(lv.data(), lv.size());
    line += "\",\"logger\":\"";
    common::json_escape(line, std::string_view{msg.logger_name.data(), msg.logger_name.size()});
    line += "\",\"node\":\"";
    common::json_escape(line, node_name_);
    line += "\",\"msg\":\"";
    common::json_escape(line, std::string_view{msg.payload.data(), msg.payload.size()});
    line += "\"}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

std::shared_ptr<spdlog::sinks::stderr_sink_mt>& shared_sink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

std::mutex mtx;

void apply_format(spdlog::logger& l) {
  if (format_ == format::json)
    l.set_formatter(std::make_unique<json_formatter>());
  else
    l.set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
}

}  // namespace

void setup(format f, const std::string& level, const std::string& node_name) {
  std::lock_guard<std::mutex> guard{mtx};
  format_ = f;
  node_name_ = node_name;
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { apply_format(*l); });
}

std::shared_ptr<spdlog::logger> get(const std::string& module) {
  std::lock_guard<std::mutex> guard{mtx};
  if (auto l = spdlog::get(module)) return l;
  auto l = std::make_shared<spdlog::logger>(module, shared_sink());
  apply_format(*l);
  l->set_level(spdlog::get_level());
  l->flush_on(spdlog::level::warn);
  spdlog::register_logger(l);
  return l;
}

}  // namespace parley::common::log
