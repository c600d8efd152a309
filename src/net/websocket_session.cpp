// The WebSocket session's read loop, writer and timers.
#include "net/websocket_session.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "net/worker_call.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using chat::CloseCode;
using chat::ErrorCode;

namespace {
constexpr auto kTokenCheckGrace = std::chrono::seconds(0);
}

WebSocketSession::WebSocketSession(ServerContext& context, Stream stream,
                                   chat::Participant participant, auth::Identity identity,
                                   std::string remote)
    : context_(context),
      ws_(std::move(stream)),
      participant_(std::move(participant)),
      identity_(std::move(identity)),
      remote_(std::move(remote)),
      writer_wake_(ws_.get_executor()),
      expiry_(ws_.get_executor()) {}

asio::awaitable<void> WebSocketSession::run(
    beast::http::request<beast::http::string_body> request, std::optional<std::int64_t> since,
    std::vector<chat::ChatMessage> older, bool bearer_subprotocol) {
  const auto& limits = context_.settings.limits;
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = limits.handshake_timeout;
  timeout.idle_timeout = limits.idle_timeout;
  timeout.keep_alive_pings = true;
  ws_.set_option(timeout);
  ws_.read_message_max(limits.max_frame_bytes);
  ws_.auto_fragment(false);
  ws_.set_option(websocket::stream_base::decorator([bearer_subprotocol](websocket::response_type& res) {
    res.set(beast::http::field::server, "natter");
    if (bearer_subprotocol) res.set(beast::http::field::sec_websocket_protocol, "bearer");
  }));

  auto [ec] = co_await ws_.async_accept(request, asio::as_tuple(use_awaitable));
  if (ec) {
    spdlog::info("websocket upgrade from {} failed: {}", remote_, ec.message());
    co_return;
  }
  ws_.text(true);

  auto self = shared_from_this();
  ++context_.websocket_sessions;
  // The user directory and the session record (analytics); a store hiccup does not stop chat.
  auto record = [this, started = chat::now_micros()] {
    if (auto s = context_.store.upsert_user(identity_.subject, identity_.username, started); !s) {
      spdlog::warn("store: could not record user {}: {}", identity_.subject, s.error().message);
    }
    return context_.store.open_session(identity_.subject, started);
  };
  auto opened = co_await on_worker(context_.workers, std::move(record));
  if (opened && *opened) {
    store_session_id_ = **opened;
  } else {
    spdlog::warn("store: could not record the session of user={} conn={}", participant_.username,
                 participant_.connection_id);
  }
  spdlog::info("connect user={} id={} client={} conn={} from {}", participant_.username,
               participant_.user_id, identity_.client_id, participant_.connection_id, remote_);
  context_.hub.join(participant_, self, since, std::move(older));
  joined_ = true;

  asio::co_spawn(ws_.get_executor(), [self]() { return self->write_loop(); }, asio::detached);
  asio::co_spawn(ws_.get_executor(), [self]() { return self->watch_expiry(); }, asio::detached);
  if (context_.shutting_down) close(CloseCode::going_away, "server shutting down");

  co_await read_loop();

  reading_done_ = true;
  context_.hub.leave(participant_);
  if (store_session_id_) {
    context_.workers.submit([&store = context_.store, id = *store_session_id_,
                             ended = chat::now_micros()] {
      if (auto s = store.close_session(id, ended); !s) {
        spdlog::warn("store: could not close session {}: {}", id, s.error().message);
      }
    });
  }
  expiry_.cancel();
  wake_writer();
  --context_.websocket_sessions;
  spdlog::info("disconnect user={} conn={}{}", participant_.username, participant_.connection_id,
               close_code_ ? fmt::format(" code={}", static_cast<int>(*close_code_)) : "");
}

asio::awaitable<void> WebSocketSession::read_loop() {
  beast::flat_buffer buffer;
  const auto per_second = context_.settings.limits.max_messages_per_second;
  auto window_start = std::chrono::steady_clock::now();
  std::size_t in_window = 0;
  asio::steady_timer pause(ws_.get_executor());

  for (;;) {
    buffer.clear();
    auto [ec, bytes] = co_await ws_.async_read(buffer, asio::as_tuple(use_awaitable));
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        spdlog::warn("user={} conn={} sent a message over {} bytes: closed 1009",
                     participant_.username, participant_.connection_id,
                     context_.settings.limits.max_frame_bytes);
        close_code_ = CloseCode::too_big;
      } else if (ec != websocket::error::closed && ec != asio::error::operation_aborted &&
                 ec != asio::error::eof && ec != asio::error::connection_reset) {
        spdlog::info("user={} conn={} read ended: {}", participant_.username,
                     participant_.connection_id, ec.message());
      }
      co_return;
    }
    if (close_code_) continue;  // closing: drain reads until the close handshake completes

    if (!ws_.got_text()) {
      refuse({ErrorCode::invalid_json, "binary messages are not accepted", {}}, {});
    } else {
      co_await handle(std::string_view(static_cast<const char*>(buffer.data().data()), bytes));
    }

    // Flood guard: past the per-second budget, stop reading until the next second.
    const auto now = std::chrono::steady_clock::now();
    if (now - window_start >= std::chrono::seconds(1)) {
      window_start = now;
      in_window = 0;
    }
    if (++in_window >= per_second) {
      pause.expires_at(window_start + std::chrono::seconds(1));
      co_await pause.async_wait(asio::as_tuple(use_awaitable));
      window_start = std::chrono::steady_clock::now();
      in_window = 0;
    }
  }
}

asio::awaitable<void> WebSocketSession::handle(std::string_view text) {
  auto parsed = chat::parse_request(text, context_.protocol_limits);
  if (parsed.error) {
    refuse(*parsed.error, parsed.ref);
    co_return;
  }
  std::optional<chat::ProtocolError> error;
  if (auto* chat = std::get_if<chat::ChatRequest>(&*parsed.request)) {
    error = context_.hub.post(participant_, *chat, late_refusal(parsed.ref));
  } else if (auto* whisper = std::get_if<chat::PrivateRequest>(&*parsed.request)) {
    error = co_await post_private(*whisper, parsed.ref);
  } else if (std::holds_alternative<chat::PingRequest>(*parsed.request)) {
    reply(chat::encode_pong());
  } else if (auto* refresh = std::get_if<chat::RefreshTokenRequest>(&*parsed.request)) {
    refresh_token(refresh->token, parsed.ref);
  }
  if (error) refuse(*error, parsed.ref);
}

asio::awaitable<std::optional<chat::ProtocolError>> WebSocketSession::post_private(
    const chat::PrivateRequest& request, const std::string& ref) {
  auto error = context_.hub.post(participant_, request, late_refusal(ref));
  if (!error || error->code != ErrorCode::unknown_recipient) co_return error;
  // Not seen since start: the user directory may know them.
  auto lookup = [&store = context_.store, id = request.recipient_id] {
    return store.username_of(id);
  };
  auto found = co_await on_worker(context_.workers, std::move(lookup));
  if (!found || !*found) {
    co_return chat::ProtocolError{ErrorCode::unavailable, "the store is unavailable", {}};
  }
  if (!**found) co_return error;
  context_.hub.remember_user(request.recipient_id, ***found);
  co_return context_.hub.post(participant_, request, late_refusal(ref));
}

chat::CommitQueue::Refuse WebSocketSession::late_refusal(const std::string& ref) {
  return [weak = weak_from_this(), executor = ws_.get_executor(),
          ref](const chat::ProtocolError& error) {
    asio::post(executor, [weak, error, ref] {
      if (auto self = weak.lock()) self->refuse(error, ref);
    });
  };
}

void WebSocketSession::refresh_token(const std::string& token, std::string_view ref) {
  auto result = context_.verifier.verify(token, std::chrono::system_clock::now());
  if (!result.ok()) {
    refuse({ErrorCode::invalid_message,
            fmt::format("refresh token refused: {}", auth::describe(result.error)), {}},
           ref);
    return;
  }
  if (result.identity->subject != identity_.subject) {
    refuse({ErrorCode::token_subject_mismatch, "the new token is for another user", {}}, ref);
    return;
  }
  identity_.expires_at = result.identity->expires_at;
  expiry_.cancel();  // watch_expiry re-arms with the new time
  spdlog::debug("user={} conn={} refreshed its token", participant_.username,
                participant_.connection_id);
}

void WebSocketSession::refuse(const chat::ProtocolError& error, std::string_view ref) {
  if (error.code == ErrorCode::rate_limited) {
    spdlog::debug("user={} conn={} refused: {}", participant_.username, participant_.connection_id,
                  chat::to_string(error.code));
  } else {
    spdlog::info("user={} conn={} refused: {} ({})", participant_.username,
                 participant_.connection_id, chat::to_string(error.code), error.message);
  }
  reply(chat::encode_error(error, ref));
}

void WebSocketSession::reply(const chat::Frame& frame) { send(frame); }

void WebSocketSession::send(const chat::Frame& frame) {
  if (close_code_ || reading_done_) return;
  const auto& limits = context_.settings.limits;
  if (queue_.size() >= limits.send_queue_messages ||
      queued_bytes_ + frame->size() > limits.send_queue_bytes) {
    spdlog::warn("user={} conn={} is not keeping up ({} frames, {} bytes queued): closing 4008",
                 participant_.username, participant_.connection_id, queue_.size(), queued_bytes_);
    close(CloseCode::too_slow, "too slow");
    return;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(frame);
  if (queue_.size() == 1) wake_writer();
}

void WebSocketSession::close(CloseCode code, std::string_view reason) {
  if (close_code_) return;
  close_code_ = code;
  close_reason_ = std::string(reason);
  if (code == CloseCode::too_slow) {
    // It is not reading, so a close frame would only wait behind what it does not read: drop
    // the connection now (after the caller's fan-out loop) and let presence catch up at once.
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both,
                                                           ignored);
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
    return;
  }
  wake_writer();
  asio::co_spawn(ws_.get_executor(),
                 [self = shared_from_this()] {
                   return self->force_close_after(self->context_.settings.limits.handshake_timeout);
                 },
                 asio::detached);
}

void WebSocketSession::wake_writer() { writer_wake_.cancel(); }

asio::awaitable<void> WebSocketSession::write_loop() {
  for (;;) {
    if (close_code_) {
      queue_.clear();
      queued_bytes_ = 0;
      websocket::close_reason reason(static_cast<websocket::close_code>(*close_code_));
      reason.reason = close_reason_;
      co_await ws_.async_close(reason, asio::as_tuple(use_awaitable));
      co_return;
    }
    if (queue_.empty()) {
      if (reading_done_) co_return;
      writer_wake_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await writer_wake_.async_wait(asio::as_tuple(use_awaitable));
      continue;
    }
    chat::Frame frame = queue_.front();
    auto [ec, written] =
        co_await ws_.async_write(asio::buffer(*frame), asio::as_tuple(use_awaitable));
    if (!queue_.empty()) {
      queue_.pop_front();
      queued_bytes_ -= frame->size();
    }
    if (ec) co_return;
  }
}

asio::awaitable<void> WebSocketSession::watch_expiry() {
  while (!reading_done_ && !close_code_) {
    expiry_.expires_at(std::chrono::steady_clock::now() +
                       (identity_.expires_at - std::chrono::system_clock::now()) +
                       kTokenCheckGrace);
    co_await expiry_.async_wait(asio::as_tuple(use_awaitable));
    if (reading_done_ || close_code_) co_return;
    if (std::chrono::system_clock::now() >= identity_.expires_at) {
      spdlog::info("user={} conn={} token expired: closing 4001", participant_.username,
                   participant_.connection_id);
      close(CloseCode::token_expired, "token expired");
      co_return;
    }
  }
}

asio::awaitable<void> WebSocketSession::force_close_after(std::chrono::seconds delay) {
  asio::steady_timer timer(ws_.get_executor());
  timer.expires_after(delay);
  co_await timer.async_wait(asio::as_tuple(use_awaitable));
  if (!reading_done_) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }
}

}  // namespace natter::net
