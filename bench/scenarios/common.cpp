// The options and set-up that every scenario shares.
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <random>
#include <stdexcept>

#include "fleet.hpp"
#include "scenarios/scenarios.hpp"

namespace natter::bench {
namespace json = boost::json;

Common read_common(Options& options, std::size_t default_concurrency) {
  Common c;
  c.settings.target = parse_target(options.text("url", "ws://127.0.0.1:8080/ws"));
  for (const auto& s : split_list(options.text("source-addresses", ""))) {
    c.settings.sources.push_back(asio::ip::make_address(s));
  }
  c.settings.channel = options.text("channel", c.settings.channel);
  c.settings.connect_timeout =
      std::chrono::milliseconds(static_cast<long>(options.number("connect-timeout", 30) * 1000));
  c.settings.drain_timeout =
      std::chrono::milliseconds(static_cast<long>(options.number("drain-timeout", 10) * 1000));
  c.tokens = read_token_settings(options);
  c.threads = static_cast<std::size_t>(std::max<std::int64_t>(1, options.integer("threads", 1)));
  c.user_prefix = options.text("user-prefix", c.user_prefix);
  c.connect_concurrency = static_cast<std::size_t>(std::max<std::int64_t>(
      1, options.integer("connect-concurrency", static_cast<std::int64_t>(default_concurrency))));
  c.quiet = std::chrono::milliseconds(options.integer("quiet-ms", c.quiet.count()));
  c.warmup = std::chrono::duration<double>(options.number("warmup", c.warmup.count()));
  c.duration = std::chrono::duration<double>(options.number("duration", c.duration.count()));
  if (c.duration.count() <= 0) throw std::invalid_argument("--duration must be positive");
  return c;
}

std::vector<std::string> usernames(const std::string& prefix, std::size_t count) {
  std::vector<std::string> names;
  names.reserve(count);
  for (std::size_t i = 0; i < count; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

std::unique_ptr<RunState> make_run(const Common& common) {
  auto run = std::make_unique<RunState>();
  run->settings = common.settings;
  std::random_device random;
  run->run_id = random() & 0x7fffffff;
  for (std::size_t i = 0; i < common.threads; ++i)
    run->stats.push_back(std::make_unique<ThreadStats>());
  return run;
}

json::object result_head(const std::string& scenario, const Common& common, const RunState& run) {
  const auto& t = common.settings.target;
  return json::object{{"scenario", scenario},
                      {"url", "ws://" + t.host + ":" + t.port + t.path},
                      {"threads", common.threads},
                      {"run_id", run.run_id}};
}

std::string chat_request_prefix(const std::string& channel) {
  return R"({"type":"chat_message","channel":)" + json::serialize(json::string(channel));
}

std::string private_request_prefix(const std::string& recipient_id) {
  return R"({"type":"private_chat_message","recipient_id":)" +
         json::serialize(json::string(recipient_id));
}

}  // namespace natter::bench

namespace natter::bench {

TrafficOutcome run_traffic(Fleet& fleet, RunState& run, const Common& common, std::size_t senders,
                           const std::function<void()>& during,
                           const std::function<void()>& before_finish) {
  TrafficOutcome outcome;
  outcome.connect_seconds = fleet.connect_all(common.connect_concurrency);
  outcome.failed_connects = run.failed.load();
  if (outcome.failed_connects == 0) {
    fleet.wait_quiet(common.quiet, common.quiet_limit);
    fleet.start_senders();
    if (during) during();
    outcome.window_seconds = fleet.measure(common.warmup, common.duration);
    fleet.wait_senders(senders);
    fleet.wait_quiet(common.quiet, common.settings.drain_timeout);
    if (before_finish) before_finish();
    fleet.finish();
    outcome.measured = true;
  }
  fleet.close_all(std::chrono::seconds(10));
  return outcome;
}

}  // namespace natter::bench
