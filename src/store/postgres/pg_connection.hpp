// Thin RAII wrapper over libpq: PGconn and PGresult in unique_ptrs with PQfinish/PQclear, one
// method per libpq call, parameters always bound (PQexecParams), errors mapped to
// natter::Error by SQLSTATE. Knows nothing of natter's schema; only store/postgres includes it.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace natter::store::postgres {

struct ConnectionCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnectionPtr = std::unique_ptr<PGconn, ConnectionCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// Bound query parameters, sent as text; an empty optional is SQL NULL. Times go as integer
// microseconds since the epoch and are turned into timestamptz by natter_ts() in SQL.
class Params {
 public:
  Params& add(std::string_view text);
  Params& add(std::int64_t value);
  Params& add(bool value);
  Params& add(std::optional<std::int64_t> value);
  Params& add_null();
  // The values as libpq wants them; valid until the next add().
  std::vector<const char*> values() const;
  int size() const { return static_cast<int>(values_.size()); }

 private:
  std::vector<std::optional<std::string>> values_;
};

// A successful result, read as text.
class Rows {
 public:
  explicit Rows(ResultPtr result) : result_(std::move(result)) {}
  int size() const { return PQntuples(result_.get()); }
  std::int64_t affected() const;  // PQcmdTuples
  bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  std::optional<std::int64_t> optional_int64(int row, int column) const;
  bool boolean(int row, int column) const;  // 't' or 'f'

 private:
  ResultPtr result_;
};

class Connection {
 public:
  // PQconnectdbParams, with connect, statement and TCP timeouts the URL may override;
  // unavailable when the server cannot be reached or refuses us.
  static Result<Connection> connect(const std::string& url);

  // PQstatus: false once the connection is broken and must be replaced.
  bool healthy() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  // PQexec: fixed SQL only, never text built from input (migrations, BEGIN, COMMIT).
  Result<Rows> exec(const char* sql);
  // PQexecParams: every value bound as a parameter.
  Result<Rows> exec_params(const std::string& sql, const Params& params);

 private:
  explicit Connection(ConnectionPtr conn) : conn_(std::move(conn)) {}
  Result<Rows> check(PGresult* raw);

  ConnectionPtr conn_;
};

}  // namespace natter::store::postgres
