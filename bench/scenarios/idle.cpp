// idle: what an idle connection costs natter. Holds N joined connections and reads natter's
// resident memory (VmRSS of --pid) before connecting, once they are all idle, and after closing.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "fleet.hpp"
#include "report.hpp"
#include "scenarios/scenarios.hpp"

namespace natter::bench {
namespace {

// VmRSS of `pid` in KiB, or -1 when it cannot be read.
long resident_kib(long pid) {
  if (pid <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int run_idle(Options& options) {
  const auto connections = static_cast<std::size_t>(options.integer("connections", 19000));
  Common common = read_common(options, 200);
  const auto users_option = static_cast<std::size_t>(options.integer("users", 100));
  const long pid = static_cast<long>(options.integer("pid", 0));
  const double hold = options.number("hold", 2);
  options.reject_unused();
  if (connections == 0) throw std::invalid_argument("--connections must be positive");
  const std::size_t users = users_option ? std::min(users_option, connections) : connections;

  const auto tokens = obtain_tokens(common.tokens, usernames(common.user_prefix, users));
  auto run = make_run(common);
  Pool pool(common.threads);
  Fleet fleet(pool, *run);
  for (std::size_t i = 0; i < connections; ++i) fleet.add(tokens[i % users], false);

  const long before = resident_kib(pid);
  const double seconds = fleet.connect_all(common.connect_concurrency);
  const std::size_t connected = run->greeted.load();
  fleet.wait_quiet(common.quiet, common.quiet_limit);
  std::this_thread::sleep_for(std::chrono::duration<double>(hold));
  const long during = resident_kib(pid);
  fleet.close_all(std::chrono::seconds(30));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long after = resident_kib(pid);
  pool.stop(std::chrono::seconds(2));
  ThreadStats totals;
  fleet.add_totals(totals);

  auto result = result_head("idle", common, *run);
  result["connections"] = connections;
  result["users"] = users;
  result["connected"] = connected;
  result["failed"] = run->failed.load();
  result["connect_s"] = seconds;
  result["pid"] = pid;
  const bool measured = before >= 0 && during >= 0 && connected > 0;
  result["rss_before_kib"] = before;
  result["rss_held_kib"] = during;
  result["rss_after_close_kib"] = after;
  if (measured) {
    result["kib_per_connection"] =
        static_cast<double>(during - before) / static_cast<double>(connected);
  } else {
    result["kib_per_connection"] = nullptr;
  }
  result["failures"] = counts_json(totals.connect_failures);
  result["server_closes"] = counts_json(totals.server_closes);
  result["dropped"] = counts_json(totals.dropped);
  const bool ok =
      connected == connections && totals.server_closes.empty() && totals.dropped.empty();
  result["ok"] = ok;

  std::ostringstream s;
  char line[240];
  std::snprintf(line, sizeof line,
                "natter-bench idle: %zu connections (%zu users), held %.1f s after the line went "
                "quiet\nconnected  %zu in %.2f s (failed %zu)\n",
                connections, users, hold, connected, seconds, run->failed.load());
  s << line;
  if (measured) {
    std::snprintf(line, sizeof line,
                  "natter RSS %ld KiB -> %ld KiB held (%.2f KiB per connection), %ld KiB after "
                  "closing\n",
                  before, during,
                  static_cast<double>(during - before) / static_cast<double>(connected), after);
    s << line;
  } else {
    s << "natter memory not measured (give --pid of natter)\n";
  }
  for (const auto& [reason, count] : totals.connect_failures) {
    s << "  failed: " << reason << ": " << count << "\n";
  }
  emit(result, s.str());
  return ok ? 0 : 2;
}

}  // namespace natter::bench
