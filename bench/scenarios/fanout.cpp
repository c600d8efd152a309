// fanout: N connected clients, S of them posting to one channel; every client receives and
// checks every message. natter's broadcast path under load: delivered messages/s and latency.
#include <sstream>

#include "fleet.hpp"
#include "report.hpp"
#include "scenarios/scenarios.hpp"

namespace natter::bench {

int run_fanout(Options& options) {
  Common common = read_common(options, 100);
  const auto clients = static_cast<std::size_t>(options.integer("clients", 1000));
  const auto senders = static_cast<std::size_t>(options.integer("senders", 10));
  const double rate = options.number("rate", 0);
  const auto users_option = static_cast<std::size_t>(options.integer("users", 0));
  common.settings.inflight = static_cast<std::size_t>(options.integer("inflight", 32));
  common.settings.message_bytes = static_cast<std::size_t>(options.integer("message-bytes", 0));
  options.reject_unused();
  if (clients == 0 || senders == 0 || senders > clients || common.settings.inflight == 0) {
    throw std::invalid_argument("need 0 < --senders <= --clients and --inflight > 0");
  }
  const std::size_t users = users_option ? std::min(users_option, clients) : clients;
  common.settings.rate_per_sender = rate / static_cast<double>(senders);

  const auto tokens = obtain_tokens(common.tokens, usernames(common.user_prefix, users));
  auto run = make_run(common);
  run->ledgers.resize(senders);
  Pool pool(common.threads);
  Fleet fleet(pool, *run);
  std::vector<std::uint32_t> expected(senders);
  for (std::uint32_t s = 0; s < senders; ++s) expected[s] = s;
  const std::string prefix = chat_request_prefix(common.settings.channel);
  for (std::size_t i = 0; i < clients; ++i) {
    auto& client = fleet.add(tokens[i % users], true);
    client.expect_from(expected);
    if (i < senders) client.make_sender(static_cast<std::uint32_t>(i), prefix, false);
  }

  const TrafficOutcome outcome = run_traffic(fleet, *run, common, senders);
  pool.stop(std::chrono::seconds(2));
  ThreadStats totals;
  fleet.add_totals(totals);
  const Integrity integrity = check_integrity(totals, run->ledgers);

  auto result = result_head("fanout", common, *run);
  result["clients"] = clients;
  result["users"] = users;
  result["senders"] = senders;
  result["rate"] = rate;
  result["inflight"] = common.settings.inflight;
  result["connect_s"] = outcome.connect_seconds;
  std::ostringstream head;
  head << "natter-bench fanout: " << clients << " clients (" << users << " users), " << senders
       << " senders, rate "
       << (rate > 0 ? std::to_string(static_cast<long>(rate)) + " msgs/s" : "flat out")
       << ", window " << common.settings.inflight << ", " << common.threads << " thread(s)\n"
       << "connected in " << outcome.connect_seconds << " s\n";
  std::string summary = head.str();
  const int code = delivery_report(result, summary, totals, integrity, outcome.window_seconds,
                                   outcome.failed_connects);
  emit(result, summary);
  return code;
}

}  // namespace natter::bench
