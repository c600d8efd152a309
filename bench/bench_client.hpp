// One simulated chat user's connection: joins (connect sequence and all), checks every chat
// message it receives, and, when it is a sender, posts stamped messages at its pace with a
// bounded window of unacknowledged ones (its own message coming back is the acknowledgement).
// Lives on one pool thread; everything here runs on that thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "client.hpp"
#include "message_check.hpp"
#include "run_state.hpp"
#include "tokens.hpp"

namespace natter::bench {

class BenchClient : public FrameSink, public std::enable_shared_from_this<BenchClient> {
 public:
  // strict: connected before any sender starts, so every sequence must start at 1.
  BenchClient(asio::io_context& io, RunState& run, ThreadStats& stats, const UserToken& user,
              asio::ip::address source, bool strict);

  // Makes this client sender `index` (a ledger in the run); `request_prefix` is the start of
  // its JSON request up to the fields every message adds, e.g.
  // {"type":"chat_message","channel":"general"
  void make_sender(std::uint32_t index, std::string request_prefix, bool whisper);
  // The senders whose messages this client must receive, all of them, in order.
  void expect_from(std::vector<std::uint32_t> senders) { expected_ = std::move(senders); }

  // Connects and waits for the connect sequence (up to connected_users); tallies the result.
  asio::awaitable<bool> join();
  // Sends until the run says stop, then waits for its messages to come back (or the drain
  // deadline) and signs off in the run.
  asio::awaitable<void> send_loop();
  // Our own close (1000).
  asio::awaitable<void> leave();
  // After every sender is done: records what never arrived. On this client's thread.
  void finish(const std::vector<SenderLedger>& ledgers);
  // Records the gaps seen so far, and nothing about tails: for a client that has left.
  void record_gaps();

  bool sends() const { return sends_; }
  bool greeted() const { return greeted_; }
  bool ended() const { return ws_.ended(); }

  void on_frame(std::string_view text, std::int64_t received_ns) override;

 private:
  asio::awaitable<void> read();
  void on_chat(std::string_view text, std::int64_t received_ns, bool whisper);
  void on_error(std::string_view text);
  void acknowledged();

  RunState& run_;
  ThreadStats& stats_;
  const UserToken& user_;
  asio::ip::address source_;
  WsClient ws_;
  asio::steady_timer greet_timer_;
  asio::steady_timer wake_;  // wakes the sender when its window opens
  OrderCheck check_;
  std::vector<std::uint32_t> expected_;
  bool greeted_ = false;
  std::int64_t last_public_id_ = 0;
  std::int64_t last_private_id_ = 0;

  bool sends_ = false;
  bool whisper_ = false;
  bool done_ = false;
  std::uint32_t sender_ = 0;
  std::string request_prefix_;
  std::uint64_t seq_ = 0;
  std::size_t inflight_ = 0;
};

}  // namespace natter::bench
