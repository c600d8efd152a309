// A value or an error, for calls that cross an IO boundary (the stores, the cache). Small on
// purpose: C++20 has no std::expected.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace natter {

struct Error {
  enum class Kind {
    not_found,    // no row with that id
    conflict,     // unique name taken
    invalid,      // input the store refuses (too long, out of range)
    unavailable,  // the database cannot be reached; worth retrying
    internal,     // anything else; logged
  };
  Kind kind = Kind::internal;
  std::string message;
};

struct Unit {};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

using Status = Result<Unit>;

inline Status ok_status() { return Unit{}; }

}  // namespace natter
