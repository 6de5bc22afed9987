#include "common/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace parley::common {

namespace {

void atomic_add(std::atomic<double>& a, double d) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {  // shortest exact form: 0.00025
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void escape_label_value(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

// Adds one more label to an already-rendered label set ("{a=\"x\"}" + le).
std::string with_label(const std::string& rendered, const std::string& key,
                       const std::string& value) {
  std::string extra = key + "=\"" + value + "\"";
  if (rendered.empty()) return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

void gauge::add(double d) {
  atomic_add(value_, d);
}

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

uint64_t histogram::cumulative(std::size_t i) const {
  uint64_t total = 0;
  for (std::size_t j = 0; j <= i && j <= bounds_.size(); ++j)
    total += buckets_[j].load(std::memory_order_relaxed);
  return total;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
}

std::string render_labels(const labels& l) {
  if (l.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : l) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    escape_label_value(out, v);
    out += '"';
  }
  out += '}';
  return out;
}

metrics_registry::family& metrics_registry::family_for(const std::string& name,
                                                       const std::string& help,
                                                       const std::string& type) {
  auto& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  } else if (f.type != type) {
    throw std::logic_error("metric " + name + " registered as " + f.type + " and " + type);
  }
  return f;
}

counter& metrics_registry::get_counter(const std::string& name, const std::string& help,
                                       const labels& l) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& slot = family_for(name, help, "counter").counters[render_labels(l)];
  if (!slot) slot = std::make_unique<counter>();
  return *slot;
}

gauge& metrics_registry::get_gauge(const std::string& name, const std::string& help,
                                   const labels& l) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& slot = family_for(name, help, "gauge").gauges[render_labels(l)];
  if (!slot) slot = std::make_unique<gauge>();
  return *slot;
}

histogram& metrics_registry::get_histogram(const std::string& name, const std::string& help,
                                           const labels& l, std::vector<double> bounds) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& slot = family_for(name, help, "histogram").histograms[render_labels(l)];
  if (!slot) slot = std::make_unique<histogram>(std::move(bounds));
  return *slot;
}

void metrics_registry::add_callback(const std::string& name, const std::string& help,
                                    const std::string& type, std::function<double()> read) {
  std::lock_guard<std::mutex> guard{mtx_};
  family_for(name, help, type).callback = std::move(read);
}

std::string metrics_registry::render() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    if (f.callback) out += name + " " + format_double(f.callback()) + "\n";
    for (const auto& [l, c] : f.counters) out += name + l + " " + std::to_string(c->value()) + "\n";
    for (const auto& [l, g] : f.gauges) out += name + l + " " + format_double(g->value()) + "\n";
    for (const auto& [l, h] : f.histograms) {
      const auto& b = h->bounds();
      for (std::size_t i = 0; i <= b.size(); ++i) {
        auto le = i < b.size() ? format_double(b[i]) : std::string{"+Inf"};
        out += name + "_bucket" + with_label(l, "le", le) + " " + std::to_string(h->cumulative(i)) +
               "\n";
      }
      out += name + "_sum" + l + " " + format_double(h->sum()) + "\n";
      out += name + "_count" + l + " " + std::to_string(h->count()) + "\n";
    }
  }
  return out;
}

}  // namespace parley::common
