// A consistent copy of a live SQLite store (what `natter backup DEST` makes): SQLite's online
// backup API reads the database and its WAL as one snapshot while natter keeps writing, into
// a temporary file beside DEST that is renamed into place only once complete.
#pragma once

#include <string>

#include "common/result.hpp"

namespace natter::store::sqlite {

// Copies the database at `path` to `dest`. invalid when dest exists; unavailable when the
// database cannot be read or dest cannot be written. Never leaves a partial dest behind.
Status backup(const std::string& path, const std::string& dest);

}  // namespace natter::store::sqlite
