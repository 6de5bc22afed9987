#pragma once
// Small helpers shared by the stores for turning rows into text.
#include <pqxx/field>
#include <string>
#include <type_traits>
#include <vector>

namespace parley::persistence {

/// A field as text; NULL becomes "".
inline std::string str(const pqxx::field& f) {
  return f.is_null() ? std::string{} : f.c_str();
}

/// SQL that renders a timestamptz column as ISO-8601 UTC with microseconds ("" for NULL).
inline std::string iso(const std::string& col) {
  return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

}  // namespace parley::persistence

namespace parley::persistence {

/// A PostgreSQL array literal of text elements ("{\"a\",\"b\"}"), every element quoted and
/// escaped, for one parameter that unnest() opens: a batch is one statement, not one per row.
inline std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

/// An array literal of numbers or booleans ("{1,2,3}", "{t,f}").
template <class T>
std::string value_array(const std::vector<T>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if constexpr (std::is_same_v<T, bool>)
      out += items[i] ? 't' : 'f';
    else
      out += std::to_string(items[i]);
  }
  return out + "}";
}

}  // namespace parley::persistence
