// Picks the Store implementation from the URL's scheme; see open_store.hpp.
#include "store/open_store.hpp"

#include <string_view>

#include "store/checked_store.hpp"
#include "store/memory/memory_store.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace natter::store {
namespace {

constexpr std::string_view kAccepted =
    "expected postgres://..., postgresql://..., sqlite:PATH, sqlite::memory: or memory:";

// Every backend is reached through CheckedStore, which applies the argument rules once.
std::unique_ptr<chat::Store> checked(std::unique_ptr<chat::Store> backend) {
  return std::make_unique<CheckedStore>(std::move(backend));
}

template <typename Store>
Result<std::unique_ptr<chat::Store>> upcast(Result<std::unique_ptr<Store>> opened) {
  if (!opened) return opened.error();
  return checked(std::move(*opened));
}

}  // namespace

Result<std::unique_ptr<chat::Store>> open_store(const std::string& url) {
  const std::string_view text(url);
  if (text.empty()) {
    return Error{Error::Kind::invalid, "database URL is empty (" + std::string(kAccepted) + ")"};
  }
  if (text == "memory:") return checked(std::make_unique<MemoryStore>());
  if (text.starts_with("postgres://") || text.starts_with("postgresql://")) {
    return upcast(postgres::PostgresStore::open(url));
  }
  if (text.starts_with("sqlite:")) {
    const std::string path(text.substr(std::string_view("sqlite:").size()));
    if (path.empty()) {
      return Error{Error::Kind::invalid,
                   "database URL 'sqlite:' names no file (" + std::string(kAccepted) + ")"};
    }
    return upcast(sqlite::SqliteStore::open(path));
  }
  // Only the scheme is echoed: the rest may hold a password.
  const auto colon = text.find(':');
  const std::string scheme(colon == std::string_view::npos ? std::string_view("(none)")
                                                           : text.substr(0, colon));
  return Error{Error::Kind::invalid, "database URL scheme '" + scheme + "' is not supported (" +
                                         std::string(kAccepted) + ")"};
}

}  // namespace natter::store
