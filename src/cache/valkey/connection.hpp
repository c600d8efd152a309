// One blocking connection to Valkey, for a thread of its own (the pipeline, the subscriber,
// the flusher): commands are written together and their replies read in order, so a batch
// costs one round trip. Replies are copied into plain values; nothing of hiredis leaks out.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/valkey/valkey_url.hpp"

struct redisContext;

namespace natter::cache {

using Command = std::vector<std::string>;

struct Reply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  long long integer = 0;
  std::string text;  // string, status or error
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::error; }
};

class Connection {
 public:
  // Connects (and AUTHs and SELECTs); empty with `error` set when it cannot.
  static std::unique_ptr<Connection> open(const ValkeyAddress& address,
                                          std::chrono::milliseconds timeout, std::string& error);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends every command, then reads every reply, in order. Empty when the connection failed
  // (it is then unusable): `error` says why.
  std::optional<std::vector<Reply>> pipeline(const std::vector<Command>& commands,
                                             std::string& error);
  std::optional<Reply> call(const Command& command, std::string& error);

  // For subscribers: sends without reading, then reads one reply at a time. read() returns
  // nothing with `timed_out` set when no reply came within the read timeout.
  bool send(const Command& command, std::string& error);
  std::optional<Reply> read(bool& timed_out, std::string& error);
  void set_read_timeout(std::chrono::milliseconds timeout);

 private:
  explicit Connection(redisContext* context) : context_(context) {}
  bool append(const Command& command, std::string& error);
  redisContext* context_;
};

}  // namespace natter::cache
