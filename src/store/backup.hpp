// `natter backup DEST`: a consistent copy of the store named by a database URL, made while
// natter runs. Only the embedded (SQLite) store; PostgreSQL has pg_dump.
#pragma once

#include <string>

#include "common/result.hpp"

namespace natter::store {

// invalid for a store that is not SQLite (the message says what to use instead) or when
// DEST exists.
Status backup(const std::string& database_url, const std::string& dest);

}  // namespace natter::store
