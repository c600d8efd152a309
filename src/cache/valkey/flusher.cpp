// The flusher's loop: take the lock, read a batch from the queue, store it, trim what was
// stored, back off when Valkey or the store fails.
#include "cache/valkey/flusher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cache/valkey/bus_codec.hpp"
#include "cache/valkey/keys.hpp"
#include "cache/valkey/scripts.hpp"

namespace natter::cache {
namespace {
const std::string& queue_key = keys::flush;
constexpr auto max_backoff = std::chrono::milliseconds(2000);

// Calls a script by its SHA-1, loading it with EVAL if Valkey does not have it.
std::optional<Reply> run_script(Connection& connection, const Script& script,
                                std::vector<std::string> args, std::string& error) {
  auto reply = connection.call(evalsha(script, args), error);
  if (reply && is_noscript(*reply)) reply = connection.call(eval(script, std::move(args)), error);
  return reply;
}
}  // namespace

Flusher::Flusher(FlusherSettings settings, chat::Store& store, Observe observe)
    : settings_(std::move(settings)), store_(store), observe_(std::move(observe)) {}

Flusher::~Flusher() { stop(std::chrono::milliseconds(0)); }

void Flusher::start() {
  thread_ = std::thread([this] { run(); });
}

void Flusher::stop(std::chrono::milliseconds budget) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    deadline_ = std::chrono::steady_clock::now() + budget;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<bool> Flusher::step(Connection& connection) {
  auto failed = [](std::string why) { return Error{Error::Kind::unavailable, std::move(why)}; };
  std::string error;
  const auto ttl = std::to_string(settings_.lock_ttl.count());
  auto held = run_script(connection, lock_script(), {settings_.instance, ttl}, error);
  if (!held) return failed(error);
  if (held->is_error()) return failed(held->text);
  if (held->integer != 1) return false;  // another instance flushes

  auto entries =
      connection.call({"LRANGE", queue_key, "0", std::to_string(settings_.batch - 1)}, error);
  if (!entries) return failed(error);
  if (entries->elements.empty()) return false;

  std::vector<chat::ChatMessage> public_messages;
  std::vector<chat::PrivateMessage> private_messages;
  for (const auto& entry : entries->elements) {
    auto event = parse_event(entry.text);
    if (auto* m = event ? std::get_if<chat::ChatMessage>(&*event) : nullptr) {
      public_messages.push_back(std::move(*m));
    } else if (auto* q = event ? std::get_if<chat::PrivateMessage>(&*event) : nullptr) {
      private_messages.push_back(std::move(*q));
    } else {
      spdlog::error("flush: dropping a malformed queue entry ({} bytes)", entry.text.size());
    }
  }
  auto outcome = store_.insert_messages(public_messages, private_messages);
  if (!outcome) {
    return failed("the store refused the batch: " + outcome.error().message);
  }
  for (auto id : outcome->rejected_public) {
    spdlog::error("flush: the store refused public message cacheID={}", id);
  }
  for (auto id : outcome->rejected_private) {
    spdlog::error("flush: the store refused private message cacheID={}", id);
  }
  const std::size_t n = entries->elements.size();
  auto trimmed =
      run_script(connection, trim_script(), {settings_.instance, std::to_string(n), ttl}, error);
  if (!trimmed) return failed(error);
  if (trimmed->integer != 1) {
    // The lock expired meanwhile and another instance took over: it will store (and skip)
    // these again and trim them.
    spdlog::warn("flush: lost the lock while storing {} messages", n);
    return false;
  }
  stored_.fetch_add(n, std::memory_order_relaxed);
  if (observe_) {
    auto length = connection.call({"LLEN", queue_key}, error);
    observe_({n, length ? static_cast<std::size_t>(length->integer) : 0});
  }
  return n == settings_.batch;
}

void Flusher::run() {
  std::unique_ptr<Connection> connection;
  auto backoff = settings_.interval;
  bool failing = false;
  bool final_pass = false;
  for (;;) {
    bool more = false;
    std::string error;
    if (!connection) {
      connection = Connection::open(settings_.address, std::chrono::milliseconds(1000), error);
    }
    auto stepped =
        connection ? step(*connection) : Result<bool>(Error{Error::Kind::unavailable, error});
    if (stepped) {
      more = *stepped;
      if (failing) spdlog::info("flush: working again");
      failing = false;
      backoff = settings_.interval;
    } else {
      if (!failing) spdlog::warn("flush: {} (retrying)", stepped.error().message);
      failing = true;
      connection.reset();
      backoff = std::min(backoff * 2, max_backoff);
    }

    std::unique_lock lock(mutex_);
    if (stopping_) {
      // Stopping: one more pass, then on while there is more and time is left.
      if ((more || failing || !final_pass) && std::chrono::steady_clock::now() < deadline_) {
        final_pass = true;
        if (failing) {
          wake_.wait_until(lock, std::min(deadline_, std::chrono::steady_clock::now() + backoff));
        }
        continue;
      }
      break;
    }
    if (!more) wake_.wait_for(lock, failing ? backoff : settings_.interval);
  }
  if (connection) {
    std::string error;
    run_script(*connection, unlock_script(), {settings_.instance}, error);
  }
}

}  // namespace natter::cache
