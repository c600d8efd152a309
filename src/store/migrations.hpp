// The schema migrations of each store, embedded into the binary at build time from the numbered
// files in migrations/<store>/ (see embed_migrations.cmake), so nothing is read at run time.
// Knows nothing of how a store applies them.
#pragma once

#include <span>
#include <string_view>

namespace natter::store {

struct Migration {
  int version = 0;        // the file's number: 001_init.sql is 1
  std::string_view name;  // the file's name without .sql
  std::string_view sql;   // the whole file
};

// Ordered by version.
std::span<const Migration> sqlite_migrations();
std::span<const Migration> postgres_migrations();

}  // namespace natter::store
