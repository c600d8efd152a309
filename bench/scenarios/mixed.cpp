// mixed: a chat room's everyday shape. Mostly readers, a few writers at a modest rate, and
// users joining and leaving throughout (each joiner checks what it receives from where it came
// in). Reports deliveries and latency, joins and leaves done, errors.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sstream>

#include "fleet.hpp"
#include "report.hpp"
#include "scenarios/scenarios.hpp"

namespace natter::bench {
namespace {

struct Churn {
  std::vector<UserToken> users;
  std::vector<std::uint32_t> writers;
  double per_thread_rate = 0;
  std::chrono::duration<double> hold{1.0};
  std::atomic<std::size_t> joins{0};
  std::atomic<std::size_t> leaves{0};
  std::atomic<std::size_t> failed{0};
  std::atomic<std::size_t> active{0};
};

// One joiner: joins, stays `hold`, leaves; its gaps are recorded on the way out.
asio::awaitable<void> churn_once(std::shared_ptr<BenchClient> client, Churn& churn) {
  if (co_await client->join()) {
    churn.joins.fetch_add(1);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(churn.hold));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    const bool was_open = !client->ended();
    co_await client->leave();
    if (was_open) churn.leaves.fetch_add(1);
  } else {
    churn.failed.fetch_add(1);
  }
  client->record_gaps();
  churn.active.fetch_sub(1);
}

// Starts joiners on one thread at the churn rate until the run stops sending.
asio::awaitable<void> churn_loop(asio::io_context& io, RunState& run, ThreadStats& stats,
                                 Churn& churn, std::size_t thread, std::size_t threads) {
  asio::steady_timer timer(io);
  const auto interval = std::chrono::nanoseconds(static_cast<long>(1e9 / churn.per_thread_rate));
  std::size_t k = thread;
  while (!run.stop_sending.load(std::memory_order_relaxed)) {
    timer.expires_after(interval);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (run.stop_sending.load(std::memory_order_relaxed)) break;
    const UserToken& user = churn.users[k % churn.users.size()];
    k += threads;
    auto client = std::make_shared<BenchClient>(io, run, stats, user, asio::ip::address(), false);
    client->expect_from(churn.writers);
    churn.active.fetch_add(1);
    asio::co_spawn(io, churn_once(std::move(client), churn), asio::detached);
  }
}

}  // namespace

int run_mixed(Options& options) {
  Common common = read_common(options, 100);
  const auto clients = static_cast<std::size_t>(options.integer("clients", 1000));
  const auto writers = static_cast<std::size_t>(options.integer("writers", 10));
  const double rate = options.number("rate", 100);
  const double churn_rate = options.number("churn", 10);
  const auto churn_users = static_cast<std::size_t>(options.integer("churn-users", 20));
  Churn churn;
  churn.hold = std::chrono::duration<double>(options.number("churn-hold", 1.0));
  common.settings.inflight = static_cast<std::size_t>(options.integer("inflight", 32));
  common.settings.message_bytes = static_cast<std::size_t>(options.integer("message-bytes", 0));
  options.reject_unused();
  if (clients == 0 || writers == 0 || writers > clients || rate <= 0 || churn_users == 0) {
    throw std::invalid_argument("need 0 < --writers <= --clients, --rate > 0, --churn-users > 0");
  }
  common.settings.rate_per_sender = rate / static_cast<double>(writers);

  auto names = usernames(common.user_prefix, clients);
  const auto churn_names = usernames(common.user_prefix + "churn-", churn_users);
  names.insert(names.end(), churn_names.begin(), churn_names.end());
  auto tokens = obtain_tokens(common.tokens, names);
  churn.users.assign(tokens.begin() + static_cast<std::ptrdiff_t>(clients), tokens.end());
  tokens.resize(clients);
  for (std::uint32_t w = 0; w < writers; ++w) churn.writers.push_back(w);
  churn.per_thread_rate = churn_rate / static_cast<double>(common.threads);

  auto run = make_run(common);
  run->ledgers.resize(writers);
  Pool pool(common.threads);
  Fleet fleet(pool, *run);
  const std::string prefix = chat_request_prefix(common.settings.channel);
  for (std::size_t i = 0; i < clients; ++i) {
    auto& client = fleet.add(tokens[i], true);
    client.expect_from(churn.writers);
    if (i < writers) client.make_sender(static_cast<std::uint32_t>(i), prefix, false);
  }

  auto start_churn = [&] {
    if (churn_rate <= 0) return;
    for (std::size_t t = 0; t < pool.size(); ++t) {
      asio::co_spawn(pool.context(t),
                     churn_loop(pool.context(t), *run, *run->stats[t], churn, t, pool.size()),
                     asio::detached);
    }
  };
  auto wait_churn = [&] {
    wait_until([&] { return churn.active.load() == 0; },
               std::chrono::duration_cast<std::chrono::milliseconds>(churn.hold) +
                   common.settings.connect_timeout + std::chrono::seconds(5));
  };
  const TrafficOutcome outcome = run_traffic(fleet, *run, common, writers, start_churn, wait_churn);
  pool.stop(std::chrono::seconds(2));
  ThreadStats totals;
  fleet.add_totals(totals);
  const Integrity integrity = check_integrity(totals, run->ledgers);

  auto result = result_head("mixed", common, *run);
  result["clients"] = clients;
  result["writers"] = writers;
  result["rate"] = rate;
  result["churn_rate"] = churn_rate;
  result["connect_s"] = outcome.connect_seconds;
  std::ostringstream head;
  head << "natter-bench mixed: " << clients << " clients, " << writers << " writers at " << rate
       << " msgs/s, " << churn_rate << " joins/s held " << churn.hold.count() << " s\n";
  std::string summary = head.str();
  int code = delivery_report(result, summary, totals, integrity, outcome.window_seconds,
                             outcome.failed_connects + churn.failed.load());
  result["joins"] = churn.joins.load();
  result["leaves"] = churn.leaves.load();
  result["join_failures"] = churn.failed.load();
  summary += "churn: " + std::to_string(churn.joins.load()) + " joins, " +
             std::to_string(churn.leaves.load()) + " leaves, " +
             std::to_string(churn.failed.load()) + " failed joins\n";
  emit(result, summary);
  return code;
}

}  // namespace natter::bench
