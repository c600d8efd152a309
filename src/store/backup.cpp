// Choosing the backup by the database URL's scheme.
#include "store/backup.hpp"

#include <string_view>

#include "store/sqlite/sqlite_backup.hpp"

namespace natter::store {

Status backup(const std::string& database_url, const std::string& dest) {
  const std::string_view url(database_url);
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return Error{Error::Kind::invalid,
                 "the store is PostgreSQL: back it up with pg_dump (see the README, Backups)"};
  }
  if (!url.starts_with("sqlite:") || url == "sqlite::memory:" || url == "sqlite:") {
    return Error{Error::Kind::invalid, "natter backup copies a SQLite file store (sqlite:PATH)"};
  }
  return sqlite::backup(std::string(url.substr(std::string_view("sqlite:").size())), dest);
}

}  // namespace natter::store
