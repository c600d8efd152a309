// What one benchmark run shares between its threads: the settings every connection needs, the
// phase switches the controller flips (atomics), each sender's ledger, and per-thread tallies
// that only their own thread writes and that are added up after the threads have stopped.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client.hpp"
#include "histogram.hpp"

namespace natter::bench {

struct ThreadStats {
  std::atomic<std::int64_t> last_rx_ns{0};  // read by the controller to see the line go quiet

  Histogram latency;          // end to end, messages received inside the measured window
  Histogram connect_latency;  // TCP connect to connected_users
  std::uint64_t frames = 0;
  std::uint64_t delivered = 0;            // our messages, any time, in order or not
  std::uint64_t delivered_in_window = 0;  // ... received inside the measured window
  std::uint64_t echoes_in_window = 0;     // private: copies back to the sender's own connection
  std::uint64_t duplicated = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t cache_id_regressions = 0;  // a cacheID not above the previous on a connection
  std::uint64_t foreign = 0;    // chat messages not from this run (other clients, older runs)
  std::uint64_t malformed = 0;  // frames we could not read
  std::uint64_t user_status = 0;
  std::uint64_t greeting_frames = 0;
  std::uint64_t joins = 0;
  std::uint64_t leaves = 0;
  std::uint64_t cut_by_close = 0;  // messages a server-closed connection never got after closing
  std::uint64_t missing_overflow = 0;
  std::map<int, std::uint64_t> server_closes;    // close code sent by natter -> connections
  std::map<std::string, std::uint64_t> dropped;  // connection ended without a close frame
  std::map<std::string, std::uint64_t> errors;   // `error` replies by code
  std::map<std::string, std::uint64_t> connect_failures;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> missing;  // (sender, seq) never received

  void merge(const ThreadStats& other);
};

// Written only by the sender's own thread; read by others once the sender is done.
struct SenderLedger {
  std::uint64_t final_seq = 0;
  std::uint64_t acked = 0;             // own messages seen coming back
  std::vector<std::uint64_t> refused;  // seqs natter answered with an `error`
  bool drained = false;                // every message acked or refused before the deadline
};

struct RunSettings {
  Target target;
  std::vector<asio::ip::address> sources;  // local addresses to connect from, round robin
  std::string channel = "general";
  std::size_t message_bytes = 0;
  std::size_t inflight = 32;   // unacknowledged messages per sender
  double rate_per_sender = 0;  // messages per second; 0: as fast as the window allows
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds drain_timeout{10000};
  std::size_t missing_cap = 1'000'000;  // gap seqs remembered per connection
};

struct RunState {
  RunSettings settings;
  std::uint32_t run_id = 0;

  std::atomic<std::int64_t> window_start_ns{LLONG_MAX};
  std::atomic<std::int64_t> window_end_ns{LLONG_MAX};
  std::atomic<bool> stop_sending{false};
  std::atomic<bool> stop_churn{false};
  std::atomic<std::size_t> greeted{0};
  std::atomic<std::size_t> failed{0};
  std::atomic<std::size_t> senders_done{0};
  std::atomic<std::size_t> inflight_total{0};

  std::vector<SenderLedger> ledgers;
  std::vector<std::unique_ptr<ThreadStats>> stats;  // one per pool thread
};

}  // namespace natter::bench
