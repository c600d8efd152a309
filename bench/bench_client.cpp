// Joining, checking what arrives, and sending, for one simulated user.
#include "bench_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>

namespace natter::bench {
namespace json = boost::json;
using asio::as_tuple;
using asio::use_awaitable;

BenchClient::BenchClient(asio::io_context& io, RunState& run, ThreadStats& stats,
                         const UserToken& user, asio::ip::address source, bool strict)
    : run_(run),
      stats_(stats),
      user_(user),
      source_(source),
      ws_(io.get_executor()),
      greet_timer_(io),
      wake_(io),
      check_(strict, run.settings.missing_cap) {}

void BenchClient::make_sender(std::uint32_t index, std::string request_prefix, bool whisper) {
  sends_ = true;
  sender_ = index;
  whisper_ = whisper;
  request_prefix_ = std::move(request_prefix);
}

asio::awaitable<bool> BenchClient::join() {
  auto self = shared_from_this();
  const std::int64_t start = steady_ns();
  std::string failure = co_await ws_.open(run_.settings.target, user_.token, source_);
  if (failure.empty()) {
    asio::co_spawn(
        greet_timer_.get_executor(), [self] { return self->read(); }, asio::detached);
    if (!greeted_ && !ws_.ended()) {
      greet_timer_.expires_after(run_.settings.connect_timeout);
      co_await greet_timer_.async_wait(as_tuple(use_awaitable));
    }
    if (!greeted_) {
      if (ws_.server_close_code()) {
        failure = "closed " + std::to_string(ws_.server_close_code()) + " before connected_users";
      } else if (ws_.ended()) {
        failure = "dropped before connected_users: " + ws_.end_reason();
      } else {
        failure = "no connected_users in time";
        co_await ws_.close();
      }
    }
  }
  if (!failure.empty()) {
    ++stats_.connect_failures[failure];
    run_.failed.fetch_add(1, std::memory_order_release);
    co_return false;
  }
  stats_.connect_latency.record(static_cast<std::uint64_t>(steady_ns() - start));
  ++stats_.joins;
  run_.greeted.fetch_add(1, std::memory_order_release);
  co_return true;
}

asio::awaitable<void> BenchClient::read() {
  co_await ws_.read_loop(*this);
  if (greeted_) {
    if (ws_.server_close_code()) {
      ++stats_.server_closes[ws_.server_close_code()];
    } else if (!ws_.closing()) {
      ++stats_.dropped[ws_.end_reason().empty() ? "ended" : ws_.end_reason()];
    }
  }
  greet_timer_.cancel();
  wake_.cancel();
}

asio::awaitable<void> BenchClient::leave() {
  if (ws_.ended()) co_return;
  co_await ws_.close();
  ++stats_.leaves;
}

asio::awaitable<void> BenchClient::send_loop() {
  auto self = shared_from_this();
  SenderLedger& ledger = run_.ledgers[sender_];
  const auto& settings = run_.settings;
  const std::int64_t interval =
      settings.rate_per_sender > 0 ? static_cast<std::int64_t>(1e9 / settings.rate_per_sender) : 0;
  constexpr std::int64_t kRecheckNs = 50'000'000;  // notice the stop flag within 50 ms
  asio::steady_timer pace(wake_.get_executor());
  std::int64_t next = steady_ns();
  std::string request;

  while (!run_.stop_sending.load(std::memory_order_relaxed) && !ws_.ended()) {
    if (inflight_ >= settings.inflight) {
      wake_.expires_after(std::chrono::nanoseconds(kRecheckNs));
      co_await wake_.async_wait(as_tuple(use_awaitable));
      continue;
    }
    const std::int64_t now = steady_ns();
    std::int64_t stamp_ns = now;
    if (interval) {
      if (now < next) {
        pace.expires_after(std::chrono::nanoseconds(std::min(next - now, kRecheckNs)));
        co_await pace.async_wait(as_tuple(use_awaitable));
        continue;
      }
      stamp_ns = next;  // the intended send time: a stall delays sends, and shows in latency
      next += interval;
    }
    const std::uint64_t seq = ++seq_;
    request.assign(request_prefix_);
    request += R"(,"ref":")";
    char digits[24];
    request.append(digits, std::to_chars(digits, digits + sizeof digits, seq).ptr);
    request += R"(","message":")";
    request += make_text({run_.run_id, sender_, seq, stamp_ns}, settings.message_bytes);
    request += "\"}";
    ++inflight_;
    if (!co_await ws_.send(request)) {
      --seq_;
      --inflight_;
      break;
    }
  }
  ledger.final_seq = seq_;

  const std::int64_t deadline = steady_ns() + settings.drain_timeout.count() * 1'000'000;
  while (inflight_ > 0 && !ws_.ended() && steady_ns() < deadline) {
    wake_.expires_after(std::chrono::nanoseconds(kRecheckNs));
    co_await wake_.async_wait(as_tuple(use_awaitable));
  }
  ledger.drained = inflight_ == 0;
  done_ = true;
  run_.senders_done.fetch_add(1, std::memory_order_release);
}

void BenchClient::acknowledged() {
  if (inflight_ > 0 && inflight_-- == run_.settings.inflight) wake_.cancel();
  if (inflight_ == 0 && run_.stop_sending.load(std::memory_order_relaxed)) wake_.cancel();
}

void BenchClient::on_frame(std::string_view text, std::int64_t received_ns) {
  ++stats_.frames;
  stats_.last_rx_ns.store(received_ns, std::memory_order_relaxed);
  std::string_view type = frame_type(text);
  std::string parsed_type;
  if (type.empty()) {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    const json::value* t =
        ec || !value.is_object() ? nullptr : value.as_object().if_contains("type");
    if (!t || !t->is_string()) {
      ++stats_.malformed;
      return;
    }
    parsed_type = std::string(t->as_string());
    type = parsed_type;
  }
  if (type == "chat_message") {
    on_chat(text, received_ns, false);
  } else if (type == "private_chat_message") {
    on_chat(text, received_ns, true);
  } else if (type == "user_status") {
    ++stats_.user_status;
  } else if (type == "connected_users") {
    ++stats_.greeting_frames;
    if (!greeted_) {
      greeted_ = true;
      greet_timer_.cancel();
    }
  } else if (type == "active_channels" || type == "bulk_chat_messages" ||
             type == "bulk_private_messages") {
    ++stats_.greeting_frames;
  } else if (type == "error") {
    on_error(text);
  }
}

void BenchClient::on_chat(std::string_view text, std::int64_t received_ns, bool whisper) {
  std::int64_t cache_id = 0;
  std::string_view message;
  if (!scan_chat(text, cache_id, message)) {
    ++stats_.malformed;
    return;
  }
  std::int64_t& last_id = whisper ? last_private_id_ : last_public_id_;
  if (cache_id <= last_id) ++stats_.cache_id_regressions;
  last_id = std::max(last_id, cache_id);

  const auto stamp = parse_text(message);
  if (!stamp || stamp->run != run_.run_id) {
    ++stats_.foreign;
    return;
  }
  const bool own = sends_ && stamp->sender == sender_;
  if (own && !done_) {
    ++run_.ledgers[sender_].acked;
    acknowledged();
  }
  switch (check_.accept(stamp->sender, stamp->seq)) {
    case OrderCheck::Verdict::duplicate:
      ++stats_.duplicated;
      return;
    case OrderCheck::Verdict::late:
      ++stats_.out_of_order;
      break;
    default:
      break;
  }
  ++stats_.delivered;
  if (received_ns >= run_.window_start_ns.load(std::memory_order_relaxed) &&
      received_ns < run_.window_end_ns.load(std::memory_order_relaxed)) {
    if (whisper && own) {
      ++stats_.echoes_in_window;
    } else {
      ++stats_.delivered_in_window;
      stats_.latency.record(
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, received_ns - stamp->sent_ns)));
    }
  }
}

void BenchClient::on_error(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  const json::object* payload = nullptr;
  if (!ec && value.is_object()) {
    if (auto* p = value.as_object().if_contains("payload"); p && p->is_object()) {
      payload = &p->as_object();
    }
  }
  if (!payload) {
    ++stats_.malformed;
    return;
  }
  const auto* code = payload->if_contains("code");
  ++stats_.errors[code && code->is_string() ? std::string(code->as_string()) : "?"];
  const auto* ref = payload->if_contains("ref");
  if (!sends_ || done_ || !ref || !ref->is_string()) return;
  const auto& r = ref->as_string();
  std::uint64_t seq = 0;
  if (std::from_chars(r.data(), r.data() + r.size(), seq).ec != std::errc()) return;
  run_.ledgers[sender_].refused.push_back(seq);
  acknowledged();
}

void BenchClient::record_gaps() {
  check_.gaps(stats_.missing);
  stats_.missing_overflow += check_.overflow();
}

void BenchClient::finish(const std::vector<SenderLedger>& ledgers) {
  record_gaps();
  if (!greeted_ || ws_.closing()) return;  // never joined, or left on its own: no tail owed
  for (auto sender : expected_) {
    const std::uint64_t final_seq = ledgers[sender].final_seq;
    if (ws_.ended()) {
      const std::uint64_t last = check_.last(sender);
      if (final_seq > last) stats_.cut_by_close += final_seq - last;
    } else {
      check_.tail(sender, final_seq, stats_.missing);
    }
  }
}

}  // namespace natter::bench
