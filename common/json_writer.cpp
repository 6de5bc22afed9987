#include "common/json_writer.hpp"

#include <cmath>
#include <cstdio>

namespace parley::common {

void json_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

json_writer& json_writer::begin_object() {
  separate();
  out_ += '{';
  first_.push_back(true);
  return *this;
}
json_writer& json_writer::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}
json_writer& json_writer::begin_array() {
  separate();
  out_ += '[';
  first_.push_back(true);
  return *this;
}
json_writer& json_writer::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}
json_writer& json_writer::key(std::string_view k) {
  separate();
  out_ += '"';
  json_escape(out_, k);
  out_ += "\":";
  after_key_ = true;
  return *this;
}
json_writer& json_writer::value(std::string_view s) {
  separate();
  out_ += '"';
  json_escape(out_, s);
  out_ += '"';
  return *this;
}
json_writer& json_writer::value(int64_t v) {
  separate();
  out_ += std::to_string(v);
  return *this;
}
json_writer& json_writer::value(uint64_t v) {
  separate();
  out_ += std::to_string(v);
  return *this;
}
json_writer& json_writer::value(double v) {
  separate();
  if (!std::isfinite(v)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  out_ += buf;
  return *this;
}
json_writer& json_writer::value(bool v) {
  separate();
  out_ += v ? "true" : "false";
  return *this;
}
json_writer& json_writer::null() {
  separate();
  out_ += "null";
  return *this;
}
json_writer& json_writer::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

}  // namespace parley::common
