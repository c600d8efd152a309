// natter-bench's scenarios, one per file, each a function of the command-line options that
// prints its result and returns the process exit code; and the settings they all share.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "options.hpp"
#include "run_state.hpp"
#include "tokens.hpp"

namespace natter::bench {

class Fleet;

int run_fanout(Options& options);
int run_connect(Options& options);
int run_idle(Options& options);
int run_private(Options& options);
int run_mixed(Options& options);

// Options every scenario takes.
struct Common {
  RunSettings settings;
  TokenSettings tokens;
  std::size_t threads = 1;
  std::string user_prefix = "bench-";
  std::size_t connect_concurrency = 100;
  std::chrono::milliseconds quiet{300};          // nothing arriving for this long: drained
  std::chrono::milliseconds quiet_limit{60000};  // give up waiting for quiet after this
  std::chrono::duration<double> warmup{1.0};
  std::chrono::duration<double> duration{5.0};
};

Common read_common(Options& options, std::size_t default_concurrency);
std::vector<std::string> usernames(const std::string& prefix, std::size_t count);
std::unique_ptr<RunState> make_run(const Common& common);
// {"scenario", "threads", "run_id", "url"}: the start of every result.
boost::json::object result_head(const std::string& scenario, const Common& common,
                                const RunState& run);
// {"type":"chat_message","channel":"..."  and  {"type":"private_chat_message","recipient_id":"..."
std::string chat_request_prefix(const std::string& channel);
std::string private_request_prefix(const std::string& recipient_id);

// The message phases of fanout, private and mixed: join the fleet, wait for the connect
// storm to drain, send (`during` starts extra work, e.g. churn), measure, drain, check, close.
struct TrafficOutcome {
  double connect_seconds = 0;
  double window_seconds = 0;
  std::size_t failed_connects = 0;
  bool measured = false;  // false when connecting failed and nothing was sent
};
TrafficOutcome run_traffic(Fleet& fleet, RunState& run, const Common& common, std::size_t senders,
                           const std::function<void()>& during = {},
                           const std::function<void()>& before_finish = {});

}  // namespace natter::bench
