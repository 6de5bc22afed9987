#pragma once
// Small helpers shared by the stores for turning rows into text.
#include <pqxx/field>
#include <string>

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
