// The online backup: sqlite3_backup_* into DEST.partial-PID, fsync, then a rename that never
// replaces an existing file.
#include "store/sqlite/sqlite_backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/sqlite/sqlite_handle.hpp"

namespace natter::store::sqlite {
namespace {

Error io_error(const std::string& what) {
  return Error{Error::Kind::unavailable, what + ": " + std::strerror(errno)};
}

Status sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("cannot sync " + path);
  return ok_status();
}

}  // namespace

Status backup(const std::string& path, const std::string& dest) {
  std::error_code ec;
  if (std::filesystem::exists(dest, ec) || std::filesystem::is_symlink(dest, ec)) {
    return Error{Error::Kind::invalid, dest + " exists; natter backup never overwrites a file"};
  }
  if (!std::filesystem::exists(path, ec)) {
    return Error{Error::Kind::unavailable, "no database at " + path};
  }
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    DatabasePtr failed(raw);
    return error_from(raw, sqlite3_errcode(raw), "open " + path);
  }
  DatabasePtr source(raw);
  sqlite3_busy_timeout(source.get(), 5000);

  const std::string partial = dest + ".partial-" + std::to_string(::getpid());
  std::filesystem::remove(partial, ec);
  {
    raw = nullptr;
    const int rc =
        sqlite3_open_v2(partial.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    DatabasePtr target(raw);
    if (rc != SQLITE_OK) return error_from(raw, rc, "create " + partial);
    sqlite3_backup* copy = sqlite3_backup_init(target.get(), "main", source.get(), "main");
    if (!copy) {
      auto error = error_from(target.get(), sqlite3_errcode(target.get()), "backup");
      target.reset();
      std::filesystem::remove(partial, ec);
      return error;
    }
    // One step copies everything under one read transaction: a single snapshot.
    int step = sqlite3_backup_step(copy, -1);
    while (step == SQLITE_BUSY || step == SQLITE_LOCKED) {
      sqlite3_sleep(50);
      step = sqlite3_backup_step(copy, -1);
    }
    sqlite3_backup_finish(copy);
    if (step != SQLITE_DONE) {
      auto error = error_from(target.get(), step, "backup of " + path);
      target.reset();
      std::filesystem::remove(partial, ec);
      return error;
    }
  }
  if (auto synced = sync_file(partial); !synced) {
    std::filesystem::remove(partial, ec);
    return synced;
  }
  // Into place, never over a file that appeared meanwhile.
  if (::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) != 0) {
    auto error = errno == EEXIST ? Error{Error::Kind::invalid,
                                         dest + " exists; natter backup never overwrites a file"}
                                 : io_error("cannot rename " + partial + " to " + dest);
    std::filesystem::remove(partial, ec);
    return error;
  }
  const auto directory = std::filesystem::absolute(dest, ec).parent_path().string();
  return sync_file(directory);
}

}  // namespace natter::store::sqlite
