// private: P pairs of users whispering to each other (private_chat_message addressed to the
// partner's sub); each message reaches the recipient and comes back to the sender, both checked.
#include <sstream>

#include "fleet.hpp"
#include "report.hpp"
#include "scenarios/scenarios.hpp"

namespace natter::bench {

int run_private(Options& options) {
  Common common = read_common(options, 100);
  const auto pairs = static_cast<std::size_t>(options.integer("pairs", 100));
  const double rate = options.number("rate", 0);
  common.settings.inflight = static_cast<std::size_t>(options.integer("inflight", 32));
  common.settings.message_bytes = static_cast<std::size_t>(options.integer("message-bytes", 0));
  options.reject_unused();
  if (pairs == 0 || common.settings.inflight == 0) {
    throw std::invalid_argument("need --pairs > 0 and --inflight > 0");
  }
  const std::size_t clients = 2 * pairs;
  common.settings.rate_per_sender = rate / static_cast<double>(clients);

  const auto tokens = obtain_tokens(common.tokens, usernames(common.user_prefix, clients));
  auto run = make_run(common);
  run->ledgers.resize(clients);
  Pool pool(common.threads);
  Fleet fleet(pool, *run);
  for (std::size_t i = 0; i < clients; ++i) {
    const std::size_t partner = i ^ 1;
    auto& client = fleet.add(tokens[i], true);
    client.expect_from({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(partner)});
    client.make_sender(static_cast<std::uint32_t>(i), private_request_prefix(tokens[partner].sub),
                       true);
  }

  const TrafficOutcome outcome = run_traffic(fleet, *run, common, clients);
  pool.stop(std::chrono::seconds(2));
  ThreadStats totals;
  fleet.add_totals(totals);
  const Integrity integrity = check_integrity(totals, run->ledgers);

  auto result = result_head("private", common, *run);
  result["pairs"] = pairs;
  result["rate"] = rate;
  result["inflight"] = common.settings.inflight;
  result["connect_s"] = outcome.connect_seconds;
  std::ostringstream head;
  head << "natter-bench private: " << pairs << " pairs whispering, rate "
       << (rate > 0 ? std::to_string(static_cast<long>(rate)) + " msgs/s" : "flat out")
       << ", window " << common.settings.inflight << ", " << common.threads << " thread(s)\n"
       << "(delivered counts recipients only; the copies back to senders are checked too)\n";
  std::string summary = head.str();
  const int code = delivery_report(result, summary, totals, integrity, outcome.window_seconds,
                                   outcome.failed_connects);
  result["echoes_in_window"] = totals.echoes_in_window;
  emit(result, summary);
  return code;
}

}  // namespace natter::bench
