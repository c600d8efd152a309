// The libpq wrapper; see pg_connection.hpp.
#include "store/postgres/pg_connection.hpp"

#include <charconv>
#include <cstring>

namespace natter::store::postgres {
namespace {

std::string trimmed(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

Error::Kind kind_of(std::string_view sqlstate) {
  if (sqlstate == "23505") return Error::Kind::conflict;            // unique_violation
  if (sqlstate.starts_with("08")) return Error::Kind::unavailable;  // connection exception
  if (sqlstate.starts_with("57P") || sqlstate == "53300") {
    return Error::Kind::unavailable;  // shutting down, too many connections
  }
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Error::Kind::unavailable;  // serialization failure, deadlock, lock timeout: retry
  }
  if (sqlstate.starts_with("22") || sqlstate.starts_with("23")) return Error::Kind::invalid;
  return Error::Kind::internal;
}

std::int64_t parse_int64(const char* text) {
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

}  // namespace

Params& Params::add(std::string_view text) {
  values_.emplace_back(std::string(text));
  return *this;
}

Params& Params::add(std::int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

Params& Params::add(bool value) {
  values_.emplace_back(value ? "t" : "f");
  return *this;
}

Params& Params::add(std::optional<std::int64_t> value) { return value ? add(*value) : add_null(); }

Params& Params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& value : values_) out.push_back(value ? value->c_str() : nullptr);
  return out;
}

std::int64_t Rows::affected() const { return parse_int64(PQcmdTuples(result_.get())); }

std::string Rows::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Rows::int64(int row, int column) const {
  return parse_int64(PQgetvalue(result_.get(), row, column));
}

std::optional<std::int64_t> Rows::optional_int64(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return int64(row, column);
}

bool Rows::boolean(int row, int column) const {
  return PQgetvalue(result_.get(), row, column)[0] == 't';
}

Result<Connection> Connection::connect(const std::string& url) {
  // Bounds on every blocking libpq call: connecting (connect_timeout, seconds), a statement
  // (statement_timeout, enforced by the server) and a server or network that stops answering
  // (tcp_user_timeout, ms, enforced by the kernel). Set before the URL, whose own values win.
  const char* keywords[] = {"connect_timeout", "options", "tcp_user_timeout", "dbname", nullptr};
  const char* values[] = {"5", "-c statement_timeout=15000", "15000", url.c_str(), nullptr};
  ConnectionPtr conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (!conn) return Error{Error::Kind::unavailable, "PostgreSQL: out of memory"};
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Error{Error::Kind::unavailable,
                 "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(conn.get()))};
  }
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return Connection(std::move(conn));
}

Result<Rows> Connection::exec(const char* sql) { return check(PQexec(conn_.get(), sql)); }

Result<Rows> Connection::exec_params(const std::string& sql, const Params& params) {
  const auto values = params.values();
  return check(PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, values.data(),
                            nullptr, nullptr, 0));
}

Result<Rows> Connection::check(PGresult* raw) {
  ResultPtr result(raw);
  const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(std::move(result));
  if (!healthy()) {
    return Error{Error::Kind::unavailable,
                 "PostgreSQL connection lost: " + trimmed(PQerrorMessage(conn_.get()))};
  }
  const char* sqlstate = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
  const std::string message =
      result ? trimmed(PQresultErrorMessage(result.get())) : trimmed(PQerrorMessage(conn_.get()));
  return Error{kind_of(sqlstate != nullptr ? sqlstate : ""), "PostgreSQL: " + message};
}

}  // namespace natter::store::postgres
