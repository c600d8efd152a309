// The WebSocket session: the upgrade, then RFC 6455 on the raw socket (frames parsed by
// WsReader, written whole and gathered by one writer), the flood guard and the timers.
#include "net/websocket_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <span>

#include "common/log_event.hpp"
#include "net/token_check.hpp"
#include "net/worker_call.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using asio::ip::tcp;
using chat::CloseCode;
using chat::ErrorCode;

namespace {
// One write gathers at most this much of the queue (the kernel takes 64 buffers per sendmsg).
constexpr std::size_t kMaxWriteBuffers = 256;
constexpr std::size_t kMaxWriteBytes = 1u << 20;
// Queue capacity kept across writes; a burst's bigger queue is given back once drained.
constexpr std::size_t kKeptQueueCapacity = 64;
// How long a client closed as too slow (4008) has to take its close frame before the socket
// is closed: the write in flight goes first, and it may never read it.
constexpr std::chrono::seconds kSlowCloseWait{2};

chat::Frame close_frame(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload.reserve(2 + reason.size());
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, 123));
  return chat::make_frame(chat::Opcode::close, payload);
}

const chat::Frame& ping_frame() {
  static const chat::Frame frame = chat::make_frame(chat::Opcode::ping, {});
  return frame;
}
}  // namespace

WebSocketSession::WebSocketSession(const WebSocketServices& services, tcp::socket socket,
                                   std::string_view early_bytes, chat::Participant participant,
                                   auth::Identity identity, std::string remote)
    : services_(services),
      socket_(std::move(socket)),
      identity_(std::move(identity)),
      remote_(std::move(remote)),
      reader_(services.limits.max_frame_bytes),
      client_(services.chat, *this, std::move(participant), identity_.expires_at),
      writer_wake_(socket_.get_executor()),
      watchdog_timer_(socket_.get_executor()) {
  reader_.append(early_bytes);
}

asio::awaitable<void> WebSocketSession::run(beast::http::request<beast::http::string_body> request,
                                            std::optional<std::int64_t> since,
                                            std::vector<chat::ChatMessage> older,
                                            bool older_truncated, bool bearer_subprotocol) {
  const auto& limits = services_.limits;
  auto self = shared_from_this();
  // The connection counts for presence before its 101 is sent, so a client that opens a new
  // connection and then closes its old one is never shown offline in between. What the hub
  // queues meanwhile waits for the writer, which starts after the upgrade.
  client_.join(self, since, std::move(older), older_truncated);
  {
    // Beast answers the upgrade (or refuses it); then the socket is ours again.
    websocket::stream<beast::tcp_stream> ws(std::move(socket_));
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = limits.handshake_timeout;
    timeout.idle_timeout = websocket::stream_base::none();
    timeout.keep_alive_pings = false;
    ws.set_option(timeout);
    ws.set_option(
        websocket::stream_base::decorator([bearer_subprotocol](websocket::response_type& res) {
          res.set(beast::http::field::server, "natter");
          if (bearer_subprotocol) res.set(beast::http::field::sec_websocket_protocol, "bearer");
        }));
    auto [ec] = co_await ws.async_accept(request, asio::as_tuple(use_awaitable));
    if (ec) {
      services_.metrics.connect_refused(metrics::ConnectRefusal::handshake_failed);
      spdlog::info("websocket upgrade from {} failed: {}", remote_, ec.message());
      reading_done_ = true;
      client_.leave();
      co_return;
    }
    socket_ = ws.next_layer().release_socket();
  }
  request = {};
  beast::error_code ignored;
  socket_.non_blocking(true, ignored);
  last_received_ = last_ping_ = Clock::now();
  asio::co_spawn(
      socket_.get_executor(), [self]() { return self->write_loop(); }, asio::detached);
  asio::co_spawn(
      socket_.get_executor(), [self]() { return self->watchdog(); }, asio::detached);

  ++services_.sessions;
  const auto kind =
      participant_.dashboard ? metrics::ClientKind::dashboard : metrics::ClientKind::chat;
  services_.metrics.connection_opened(kind);
  // The session record (analytics; admission wrote the user directory).
  auto record = client_.open_record(chat::now_micros());
  client_.record_opened(co_await on_worker(services_.workers, std::move(record)));
  connected_at_ = Clock::now();
  log_event(spdlog::level::info, "connect",
            {{"user", participant_.username},
             {"sub", participant_.user_id},
             {"client", identity_.client_id},
             {"conn", participant_.connection_id},
             {"remote", remote_}});
  if (services_.shutting_down) close(CloseCode::going_away, "server shutting down");

  co_await read_loop();

  reading_done_ = true;
  client_.leave();
  if (auto record = client_.close_record(chat::now_micros())) {
    services_.workers.submit(std::move(record));
  }
  watchdog_timer_.cancel();
  wake_writer();
  --services_.sessions;
  ++services_.sessions_ended;
  services_.metrics.connection_closed(kind);
  // Ours when we closed; else the peer's close code; else none came (1006, as RFC 6455 says).
  const int code = close_code_    ? static_cast<int>(*close_code_)
                   : peer_closed_ ? static_cast<int>(reader_.peer_close_code())
                                  : 1006;
  log_event(spdlog::level::info, "disconnect",
            {{"user", participant_.username},
             {"sub", participant_.user_id},
             {"conn", participant_.connection_id},
             {"code", code},
             {"duration_ms",
              std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - connected_at_)
                  .count()},
             {"remote", remote_}});
}

asio::awaitable<void> WebSocketSession::read_loop() {
  const auto& limits = services_.limits;
  const auto per_second = limits.max_messages_per_second;
  auto window_start = Clock::now();
  std::size_t in_window = 0;
  bool discarding = false;  // after a protocol error: nothing more is parsed

  for (;;) {
    const auto event = discarding ? WsReader::Event::need_more : reader_.next();
    // A whole frame outside a fragmented message: what follows it is a new frame.
    if (event != WsReader::Event::need_more && !reader_.in_message()) partial_since_.reset();
    switch (event) {
      case WsReader::Event::need_more: {
        reader_.trim();
        if (reader_.idle()) {
          partial_since_.reset();
        } else if (!partial_since_) {
          partial_since_ = Clock::now();
        }
        auto [wait_ec] =
            co_await socket_.async_wait(tcp::socket::wait_read, asio::as_tuple(use_awaitable));
        if (wait_ec || socket_shut_) co_return;
        auto room = reader_.prepare();
        beast::error_code ec;
        const std::size_t n = socket_.read_some(asio::buffer(room.data(), room.size()), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        if (ec) {
          if (ec != asio::error::eof && ec != asio::error::connection_reset &&
              ec != asio::error::operation_aborted && ec != asio::error::bad_descriptor) {
            spdlog::info("user={} conn={} read ended: {}", participant_.username,
                         participant_.connection_id, ec.message());
          }
          shut();
          co_return;
        }
        reader_.commit(n);
        if (discarding) reader_.discard();
        continue;
      }
      case WsReader::Event::ping:
        last_received_ = Clock::now();
        queue_pong(reader_.payload());
        break;
      case WsReader::Event::pong:
        last_received_ = Clock::now();
        break;
      case WsReader::Event::close:
        peer_closed_ = true;
        if (close_sent_) {
          shut();
        } else if (!close_frame_) {
          const auto code = reader_.peer_close_code();
          begin_close(
              code == 1005 ? chat::make_frame(chat::Opcode::close, {}) : close_frame(code, {}),
              false);
        }
        co_return;
      case WsReader::Event::error:
        if (reader_.error_code() == 1009) {
          spdlog::warn("user={} conn={} sent a message over {} bytes: closed 1009",
                       participant_.username, participant_.connection_id, limits.max_frame_bytes);
        } else {
          spdlog::info("user={} conn={} read ended: {} (closing {})", participant_.username,
                       participant_.connection_id, reader_.error_reason(), reader_.error_code());
        }
        discarding = true;
        reader_.discard();
        if (!close_frame_) {
          // A protocol close code outside chat::CloseCode's list: kept for the disconnect line.
          close_code_ = static_cast<CloseCode>(reader_.error_code());
          begin_close(close_frame(reader_.error_code(), reader_.error_reason()), true);
        }
        continue;
      case WsReader::Event::text:
      case WsReader::Event::binary:
        break;
    }
    if (event == WsReader::Event::text || event == WsReader::Event::binary) {
      last_received_ = Clock::now();
      if (close_code_ || close_frame_) continue;  // closing: drain reads until the peer's close
      if (event == WsReader::Event::binary) {
        services_.metrics.message_in(metrics::InKind::invalid);
        client_.refuse({ErrorCode::invalid_json, "binary messages are not accepted", {}}, {});
      } else {
        co_await handle(reader_.payload());
      }
    }

    // Flood guard: every frame (pings and pongs too) counts; past the per-second budget, stop
    // reading until the next second.
    const auto now = Clock::now();
    if (now - window_start >= std::chrono::seconds(1)) {
      window_start = now;
      in_window = 0;
    }
    if (++in_window >= per_second) {
      asio::steady_timer pause(socket_.get_executor());
      pause.expires_at(window_start + std::chrono::seconds(1));
      co_await pause.async_wait(asio::as_tuple(use_awaitable));
      window_start = Clock::now();
      in_window = 0;
    }
  }
}

asio::awaitable<void> WebSocketSession::handle(std::string_view text) {
  auto step = client_.handle(text);
  if (auto* lookup = std::get_if<chat::ClientSession::LookUpRecipient>(&step)) {
    auto query = lookup->query;
    auto found = co_await on_worker(services_.workers, std::move(query));
    if (!found) {
      const Error timed_out{Error::Kind::unavailable, "the store did not answer in time"};
      client_.recipient_found(*lookup, timed_out);
    } else {
      client_.recipient_found(*lookup, *found);
    }
  } else if (auto* check = std::get_if<chat::ClientSession::CheckToken>(&step)) {
    // The upgrade's check: a key rotated in since the last fetch is fetched, not refused.
    auto result = co_await check_token(services_.tokens, check->token);
    chat::ClientSession::CheckedToken checked;
    if (!result.ok()) {
      checked.refused = std::string(auth::describe(result.error));
    } else {
      checked.subject = result.identity->subject;
      checked.expires_at = result.identity->expires_at;
    }
    if (client_.token_checked(*check, checked)) {
      watchdog_timer_.cancel();  // the watchdog re-arms with the new time
    }
  }
}

chat::Acceptance::Refuse WebSocketSession::late_refusal(std::string ref) {
  return [weak = weak_from_this(), executor = socket_.get_executor(),
          ref = std::move(ref)](const chat::ProtocolError& error) {
    asio::post(executor, [weak, error, ref] {
      if (auto self = weak.lock()) self->client_.refuse(error, ref);
    });
  };
}

void WebSocketSession::send(const chat::Frame& frame) {
  if (close_code_ || close_frame_ || reading_done_) return;
  const auto& limits = services_.limits;
  if (queue_.size() >= limits.send_queue_messages ||
      queued_bytes_ + frame->size() > limits.send_queue_bytes) {
    spdlog::warn("user={} conn={} is not keeping up ({} frames, {} bytes queued): closing 4008",
                 participant_.username, participant_.connection_id, queue_.size(), queued_bytes_);
    services_.metrics.send_queue_overflow();
    close(CloseCode::too_slow, "too slow");
    return;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(frame);
  if (queued_frames() == 1) wake_writer();
}

void WebSocketSession::queue_pong(std::string_view payload) {
  if (close_code_ || close_frame_ || reading_done_) return;
  const bool was_pending = pending_pong_ != nullptr;
  pending_pong_ = chat::make_frame(chat::Opcode::pong, payload);
  if (!was_pending) wake_writer();
}

void WebSocketSession::close(CloseCode code, std::string_view reason) {
  if (close_code_ || close_frame_ || reading_done_) return;
  close_code_ = code;
  close_reason_ = std::string(reason);
  // Too slow: what is queued is dropped for the close frame (after the write in flight), so a
  // client that reads again learns why; one that does not is cut off after a short wait.
  const bool too_slow = code == CloseCode::too_slow;
  begin_close(close_frame(static_cast<std::uint16_t>(code), close_reason_), false,
              too_slow
                  ? std::min<Clock::duration>(kSlowCloseWait, services_.limits.handshake_timeout)
                  : Clock::duration(services_.limits.handshake_timeout));
}

void WebSocketSession::begin_close(chat::Frame frame, bool then_fin) {
  begin_close(std::move(frame), then_fin, services_.limits.handshake_timeout);
}

void WebSocketSession::begin_close(chat::Frame frame, bool then_fin, Clock::duration wait) {
  close_frame_ = std::move(frame);
  fin_after_close_ = then_fin;
  close_deadline_ = Clock::now() + wait;
  wake_writer();
  watchdog_timer_.cancel();  // re-arms for the close deadline
}

void WebSocketSession::shut() {
  if (socket_shut_) return;
  socket_shut_ = true;
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  writer_wake_.cancel();
  watchdog_timer_.cancel();
}

void WebSocketSession::wake_writer() { writer_wake_.cancel(); }

asio::awaitable<void> WebSocketSession::write_loop() {
  std::vector<asio::const_buffer> buffers;
  for (;;) {
    if (socket_shut_) co_return;
    if (close_frame_) {
      // After the write in flight: what is still queued is dropped for the close frame.
      queue_.clear();
      queued_bytes_ = 0;
      auto frame = close_frame_;
      auto [ec, written] =
          co_await asio::async_write(socket_, asio::buffer(*frame), asio::as_tuple(use_awaitable));
      close_sent_ = true;
      if (ec || peer_closed_) {
        shut();
      } else if (fin_after_close_) {
        beast::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
      }
      co_return;  // the read loop (or the watchdog's deadline) ends the connection
    }
    if (queued_frames() == 0 && !pending_pong_) {
      if (reading_done_) co_return;
      if (buffers.capacity() > kKeptQueueCapacity) std::vector<asio::const_buffer>().swap(buffers);
      writer_wake_.expires_at(Clock::time_point::max());
      co_await writer_wake_.async_wait(asio::as_tuple(use_awaitable));
      continue;
    }

    // Gather everything queued (up to the caps) into one write; the frames stay in the queue,
    // before queue_head_, until it completes. The pong answers the latest ping.
    const chat::Frame pong = std::move(pending_pong_);
    pending_pong_ = nullptr;
    if (pong) buffers.emplace_back(pong->data(), pong->size());
    std::size_t bytes = 0;
    while (queue_head_ < queue_.size() && buffers.size() < kMaxWriteBuffers &&
           bytes < kMaxWriteBytes) {
      const auto& frame = *queue_[queue_head_++];
      buffers.emplace_back(frame.data(), frame.size());
      bytes += frame.size();
    }
    auto [ec, written] = co_await asio::async_write(
        socket_, std::span<const asio::const_buffer>(buffers), asio::as_tuple(use_awaitable));
    buffers.clear();
    queued_bytes_ -= bytes;
    if (queue_head_ == queue_.size()) {
      queue_.clear();
      if (queue_.capacity() > kKeptQueueCapacity) std::vector<chat::Frame>().swap(queue_);
    } else {
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
    }
    queue_head_ = 0;
    if (ec) {
      shut();
      co_return;
    }
  }
}

asio::awaitable<void> WebSocketSession::watchdog() {
  const Clock::duration idle = services_.limits.idle_timeout;
  while (!socket_shut_) {
    const auto now = Clock::now();
    Clock::time_point wake;
    if (close_deadline_) {
      if (now >= *close_deadline_) {
        shut();
        co_return;
      }
      wake = *close_deadline_;
    } else {
      if (reading_done_ || close_code_) co_return;  // ended (every close sets a deadline)
      if (now - last_received_ >= idle) {
        spdlog::info("user={} conn={} read ended: no frame received for {}s", participant_.username,
                     participant_.connection_id, services_.limits.idle_timeout.count());
        shut();
        co_return;
      }
      if (partial_since_ && now - *partial_since_ >= idle) {
        spdlog::info("user={} conn={} read ended: a message begun {}s ago is not complete",
                     participant_.username, participant_.connection_id,
                     services_.limits.idle_timeout.count());
        shut();
        co_return;
      }
      // Half the idle limit without a frame: ping, so a live peer's pong resets the clock.
      if (now - last_received_ >= idle / 2 && last_ping_ <= last_received_) {
        send(ping_frame());
        last_ping_ = now;
      }
      wake = last_received_ + (last_ping_ > last_received_ ? idle : idle / 2);
      if (client_.expiry_enforced()) {
        // The rule of the door: exp plus the clock-skew leeway.
        const auto expires = client_.expires_at() + services_.token_leeway;
        const auto left = expires - std::chrono::system_clock::now();
        if (left <= std::chrono::system_clock::duration::zero()) {
          spdlog::info("user={} conn={} token expired: closing 4001", participant_.username,
                       participant_.connection_id);
          close(CloseCode::token_expired, "token expired");
          continue;
        }
        wake = std::min(wake, now + std::chrono::duration_cast<Clock::duration>(left));
      }
      if (partial_since_) wake = std::min(wake, *partial_since_ + idle);
    }
    watchdog_timer_.expires_at(wake);
    co_await watchdog_timer_.async_wait(asio::as_tuple(use_awaitable));
  }
}

}  // namespace natter::net
