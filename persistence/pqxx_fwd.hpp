#pragma once
// Forward declaration of pqxx::connection (libpqxx 6 declares it as an alias, so
// `class connection;` does not work); keeps <pqxx/pqxx> out of widely included headers.
namespace pqxx {
class connect_direct;
template <typename CONNECTPOLICY>
class basic_connection_base;
using connection = basic_connection_base<connect_direct>;
}  // namespace pqxx
