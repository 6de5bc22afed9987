#pragma once
// A small streaming JSON writer for responses and logs (parsing uses simdjson).
// Not thread-safe; one writer per document.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/codec.hpp"

namespace parley::common {

using common::json_escape;  // one escaping for every JSON parley writes

class json_writer {
 public:
  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);
  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(const std::string& s) { return value(std::string_view{s}); }
  json_writer& value(int64_t v);
  json_writer& value(int v) { return value(static_cast<int64_t>(v)); }
  json_writer& value(uint64_t v);
  json_writer& value(double v);
  json_writer& value(bool v);
  json_writer& null();
  /// Inserts already-serialised JSON as a value.
  json_writer& raw(std::string_view json);
  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }
  [[nodiscard]] const std::string& str() const { return out_; }
  [[nodiscard]] std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace parley::common
