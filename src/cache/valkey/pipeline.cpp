// The pipeline thread: takes everything submitted, writes it in one batch, and hands each
// reply to its callback; reconnects with backoff, replaying the registration first.
#include "cache/valkey/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cache/valkey/scripts.hpp"

namespace natter::cache {
namespace {
constexpr auto connect_timeout = std::chrono::milliseconds(1000);
constexpr auto read_timeout = std::chrono::milliseconds(10000);
constexpr auto min_backoff = std::chrono::milliseconds(100);
constexpr auto max_backoff = std::chrono::milliseconds(2000);
}  // namespace

Pipeline::Pipeline(ValkeyAddress address, std::string name, std::size_t max_batch,
                   std::size_t max_queued)
    : address_(std::move(address)),
      name_(std::move(name)),
      max_batch_(std::max<std::size_t>(1, max_batch)),
      max_queued_(max_queued) {}

Pipeline::~Pipeline() { stop(); }

void Pipeline::start(OnConnect on_connect) {
  on_connect_ = std::move(on_connect);
  thread_ = std::thread([this] { run(); });
}

void Pipeline::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Pipeline::submit(Command command, Done done, Command fallback) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(command), std::move(done), std::move(fallback)});
  }
  wake_.notify_one();
}

void Pipeline::submit_first(Command command, Done done, Command fallback) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_front({std::move(command), std::move(done), std::move(fallback)});
  }
  wake_.notify_one();
}

void Pipeline::fail(std::deque<Pending>& pending) {
  for (auto& p : pending) {
    if (p.done) p.done(nullptr);
  }
  pending.clear();
}

bool Pipeline::connect() {
  std::string error;
  connection_ = Connection::open(address_, connect_timeout, error);
  if (!connection_) {
    outage_.report(false, fmt::format("{}: cannot connect to {}:{}: {}", name_, address_.host,
                                      address_.port, error));
    return false;
  }
  if (on_connect_) {
    auto setup = on_connect_();
    if (!setup.empty() && !connection_->pipeline(setup, error)) {
      outage_.report(false, fmt::format("{}: connection lost while setting up: {}", name_, error));
      connection_.reset();
      return false;
    }
  }
  spdlog::info("valkey {}: connected to {}:{}", name_, address_.host, address_.port);
  outage_.report(true);
  // A slow round trip is not a lost connection: allow a full batch plenty of time.
  connection_->set_read_timeout(read_timeout);
  connected_ = true;
  return true;
}

void Pipeline::run() {
  auto backoff = min_backoff;
  auto next_attempt = std::chrono::steady_clock::now();
  std::deque<Pending> batch;
  for (;;) {
    if (!connection_) {
      connected_ = false;
      if (std::chrono::steady_clock::now() >= next_attempt) {
        if (connect()) {
          backoff = min_backoff;
        } else {
          next_attempt = std::chrono::steady_clock::now() + backoff;
          backoff = std::min(backoff * 2, max_backoff);
        }
      }
      std::unique_lock lock(mutex_);
      if (!connection_) {
        // Nothing can be asked now: refuse what waits, and wait for the next attempt.
        batch.swap(queue_);
        const bool stopping = stopping_;
        lock.unlock();
        fail(batch);
        if (stopping) return;
        lock.lock();
        wake_.wait_until(lock, next_attempt, [this] { return stopping_ || !queue_.empty(); });
        continue;
      }
    }

    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything was sent
      if (queue_.size() > max_queued_) {
        // Valkey is far behind: refuse the newest rather than grow without bound.
        std::deque<Pending> excess(std::make_move_iterator(queue_.begin() + max_queued_),
                                   std::make_move_iterator(queue_.end()));
        queue_.erase(queue_.begin() + max_queued_, queue_.end());
        lock.unlock();
        spdlog::warn("valkey {}: {} commands refused: too far behind", name_, excess.size());
        fail(excess);
        lock.lock();
      }
      const std::size_t n = std::min(queue_.size(), max_batch_);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
    }

    std::vector<Command> commands;
    commands.reserve(batch.size());
    for (const auto& p : batch) commands.push_back(p.command);
    std::string error;
    auto replies = connection_->pipeline(commands, error);
    if (!replies) {
      outage_.report(false, fmt::format("{}: connection lost: {}", name_, error));
      connection_.reset();
      connected_ = false;
      next_attempt = std::chrono::steady_clock::now();
      fail(batch);
      continue;
    }
    batches_.fetch_add(1, std::memory_order_relaxed);
    std::vector<Pending> again;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& p = batch[i];
      if (is_noscript((*replies)[i]) && !p.fallback.empty()) {
        again.push_back({std::move(p.fallback), std::move(p.done), {}});
        continue;
      }
      if (p.done) p.done(&(*replies)[i]);
    }
    batch.clear();
    if (!again.empty()) {
      // Scripts were flushed while connected (on a new connection on_connect loads them):
      // send these again as EVAL, first. They keep their order among themselves; commands
      // without a script that followed them in the batch have already run.
      std::lock_guard lock(mutex_);
      queue_.insert(queue_.begin(), std::make_move_iterator(again.begin()),
                    std::make_move_iterator(again.end()));
    }
  }
}

}  // namespace natter::cache
