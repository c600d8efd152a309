// A blocking hiredis connection with a connect timeout and batched calls.
#include "cache/valkey/connection.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>

namespace natter::cache {
namespace {

Reply copy(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::string;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::status;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::error;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

std::string describe(const redisContext* c) {
  return c->errstr[0] ? std::string(c->errstr) : std::string("connection lost");
}

}  // namespace

std::unique_ptr<Connection> Connection::open(const ValkeyAddress& address,
                                             std::chrono::milliseconds timeout,
                                             std::string& error) {
  redisContext* context =
      redisConnectWithTimeout(address.host.c_str(), address.port, to_timeval(timeout));
  if (!context) {
    error = "out of memory";
    return nullptr;
  }
  if (context->err) {
    error = describe(context);
    redisFree(context);
    return nullptr;
  }
  std::unique_ptr<Connection> connection(new Connection(context));
  connection->set_read_timeout(timeout);
  std::vector<Command> setup;
  if (!address.password.empty()) {
    if (address.username.empty()) {
      setup.push_back({"AUTH", address.password});
    } else {
      setup.push_back({"AUTH", address.username, address.password});
    }
  }
  if (address.database != 0) setup.push_back({"SELECT", std::to_string(address.database)});
  if (!setup.empty()) {
    auto replies = connection->pipeline(setup, error);
    if (!replies) return nullptr;
    for (const auto& reply : *replies) {
      if (reply.is_error()) {
        error = reply.text;
        return nullptr;
      }
    }
  }
  return connection;
}

Connection::~Connection() { redisFree(context_); }

void Connection::set_read_timeout(std::chrono::milliseconds timeout) {
  redisSetTimeout(context_, to_timeval(timeout));
}

bool Connection::append(const Command& command, std::string& error) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(command.size());
  lengths.reserve(command.size());
  for (const auto& part : command) {
    argv.push_back(part.data());
    lengths.push_back(part.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                             lengths.data()) != REDIS_OK) {
    error = describe(context_);
    return false;
  }
  return true;
}

std::optional<std::vector<Reply>> Connection::pipeline(const std::vector<Command>& commands,
                                                       std::string& error) {
  for (const auto& command : commands) {
    if (!append(command, error)) return std::nullopt;
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || !raw) {
      error = describe(context_);
      return std::nullopt;
    }
    auto* reply = static_cast<redisReply*>(raw);
    replies.push_back(copy(reply));
    freeReplyObject(reply);
  }
  return replies;
}

std::optional<Reply> Connection::call(const Command& command, std::string& error) {
  auto replies = pipeline({command}, error);
  if (!replies) return std::nullopt;
  return std::move(replies->front());
}

bool Connection::send(const Command& command, std::string& error) {
  if (!append(command, error)) return false;
  int done = 0;
  while (!done) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) {
      error = describe(context_);
      return false;
    }
  }
  return true;
}

std::optional<Reply> Connection::read(bool& timed_out, std::string& error) {
  timed_out = false;
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || !raw) {
    if (context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A read timeout: hiredis marks the context failed, but nothing was half-read (a
      // subscriber only ever waits here between whole messages), so clear it and go on.
      timed_out = true;
      context_->err = 0;
      context_->errstr[0] = '\0';
      return std::nullopt;
    }
    error = describe(context_);
    return std::nullopt;
  }
  auto* reply = static_cast<redisReply*>(raw);
  Reply out = copy(reply);
  freeReplyObject(reply);
  return out;
}

}  // namespace natter::cache
