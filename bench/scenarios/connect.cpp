// connect: how fast natter accepts authenticated WebSockets. N connections, C in flight, each
// done when its connect sequence (active_channels ... connected_users) has arrived.
#include <cstdio>
#include <sstream>

#include "fleet.hpp"
#include "report.hpp"
#include "scenarios/scenarios.hpp"

namespace natter::bench {

int run_connect(Options& options) {
  const auto connections = static_cast<std::size_t>(options.integer("connections", 2000));
  const auto concurrency = static_cast<std::size_t>(options.integer("concurrency", 100));
  Common common = read_common(options, concurrency);
  const auto users_option = static_cast<std::size_t>(options.integer("users", 0));
  options.reject_unused();
  if (connections == 0) throw std::invalid_argument("--connections must be positive");
  const std::size_t users = users_option ? std::min(users_option, connections) : connections;

  const auto tokens = obtain_tokens(common.tokens, usernames(common.user_prefix, users));
  auto run = make_run(common);
  Pool pool(common.threads);
  Fleet fleet(pool, *run);
  for (std::size_t i = 0; i < connections; ++i) fleet.add(tokens[i % users], false);

  const double seconds = fleet.connect_all(common.connect_concurrency);
  const std::size_t connected = run->greeted.load();
  const std::size_t failed = run->failed.load();
  const auto close_start = std::chrono::steady_clock::now();
  fleet.close_all(std::chrono::seconds(20));
  const double close_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - close_start).count();
  pool.stop(std::chrono::seconds(2));
  ThreadStats totals;
  fleet.add_totals(totals);

  auto result = result_head("connect", common, *run);
  result["connections"] = connections;
  result["users"] = users;
  result["concurrency"] = common.connect_concurrency;
  result["connected"] = connected;
  result["failed"] = failed;
  result["seconds"] = seconds;
  result["connects_per_s"] = seconds > 0 ? static_cast<double>(connected) / seconds : 0.0;
  result["connect_latency_us"] = latency_json(totals.connect_latency);
  result["failures"] = counts_json(totals.connect_failures);
  result["server_closes"] = counts_json(totals.server_closes);
  result["close_s"] = close_seconds;
  result["ok"] = failed == 0 && connected == connections;

  std::ostringstream s;
  char line[200];
  std::snprintf(line, sizeof line,
                "natter-bench connect: %zu connections (%zu users), %zu in flight, %zu thread(s)\n"
                "connected  %zu in %.2f s = %.0f connects/s (failed %zu)\n",
                connections, users, common.connect_concurrency, common.threads, connected, seconds,
                seconds > 0 ? static_cast<double>(connected) / seconds : 0.0, failed);
  s << line;
  const auto& h = totals.connect_latency;
  s << "connect to connected_users: p50 " << format_us(h.percentile(0.5)) << "  p99 "
    << format_us(h.percentile(0.99)) << "  max " << format_us(h.max()) << "\n";
  for (const auto& [reason, count] : totals.connect_failures) {
    s << "  failed: " << reason << ": " << count << "\n";
  }
  s << "closed all in " << close_seconds << " s\n";
  emit(result, s.str());
  return failed == 0 && connected == connections ? 0 : 2;
}

}  // namespace natter::bench
