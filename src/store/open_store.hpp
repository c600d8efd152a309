// Opens the Store a database URL names: postgres:// or postgresql:// (PostgreSQL),
// sqlite:PATH or sqlite::memory: (SQLite), memory: (in-process, nothing kept), with its
// migrations applied, behind CheckedStore (checked_store.hpp). The only door main.cpp needs into
// store/; it hides which databases exist.
#pragma once

#include <memory>
#include <string>

#include "chat/store.hpp"

namespace natter::store {

// invalid, naming the problem, for a URL no store accepts; unavailable when the database
// cannot be reached or opened.
Result<std::unique_ptr<chat::Store>> open_store(const std::string& url);

}  // namespace natter::store
