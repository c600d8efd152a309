// The client session: a parsed message to the hub or to a step, and the answers.
#include "chat/client_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace natter::chat {

namespace {
InKind in_kind(const Request& request) {
  if (std::holds_alternative<ChatRequest>(request)) return InKind::chat_message;
  if (std::holds_alternative<PrivateRequest>(request)) return InKind::private_chat_message;
  if (std::holds_alternative<PingRequest>(request)) return InKind::ping;
  if (std::holds_alternative<PongRequest>(request)) return InKind::pong;
  return InKind::refresh_token;
}
}  // namespace

ClientSession::ClientSession(const Services& services, Link& link, Participant participant,
                             SystemTime expires_at)
    : services_(services),
      link_(link),
      participant_(std::move(participant)),
      expires_at_(expires_at),
      expiry_enforced_(services.expiry_enforced) {}

void ClientSession::join(std::shared_ptr<Connection> connection, std::optional<std::int64_t> since,
                         std::vector<ChatMessage> older, bool older_truncated) {
  services_.hub.join(participant_, std::move(connection), since, std::move(older), older_truncated);
}

void ClientSession::leave() { services_.hub.leave(participant_); }

ClientSession::Step ClientSession::handle(std::string_view text) {
  auto parsed = parse_request(text, services_.limits);
  if (parsed.error) {
    services_.metrics.message_in(InKind::invalid);
    refuse(*parsed.error, parsed.ref);
    return {};
  }
  services_.metrics.message_in(in_kind(*parsed.request));
  std::optional<ProtocolError> error;
  if (auto* chat = std::get_if<ChatRequest>(&*parsed.request)) {
    error = services_.hub.post(participant_, *chat, link_.late_refusal(parsed.ref));
  } else if (auto* whisper = std::get_if<PrivateRequest>(&*parsed.request)) {
    error = services_.hub.post(participant_, *whisper, link_.late_refusal(parsed.ref));
    // Not seen since start: the user directory may know them.
    if (error && error->code == ErrorCode::unknown_recipient) {
      auto query = [&users = services_.users, id = whisper->recipient_id] {
        return users.username_of(id);
      };
      return LookUpRecipient{std::move(*whisper), std::move(parsed.ref), std::move(*error),
                             std::move(query)};
    }
  } else if (std::holds_alternative<PingRequest>(*parsed.request)) {
    services_.metrics.frames_out(OutKind::pong, 1);
    link_.reply(encode_pong());
  } else if (auto* refresh = std::get_if<RefreshTokenRequest>(&*parsed.request)) {
    return CheckToken{std::move(refresh->token), std::move(parsed.ref)};
  }
  if (error) refuse(*error, parsed.ref);
  return {};
}

void ClientSession::recipient_found(const LookUpRecipient& step,
                                    const Result<std::optional<std::string>>& username) {
  if (!username) {
    refuse({ErrorCode::unavailable, "the store is unavailable", {}}, step.ref);
    return;
  }
  if (!*username) {
    refuse(step.unknown, step.ref);
    return;
  }
  services_.hub.remember_user(step.request.recipient_id, **username);
  if (auto error = services_.hub.post(participant_, step.request, link_.late_refusal(step.ref))) {
    refuse(*error, step.ref);
  }
}

bool ClientSession::token_checked(const CheckToken& step, const CheckedToken& checked) {
  if (checked.refused) {
    refuse({ErrorCode::invalid_message,
            fmt::format("refresh token refused: {}", *checked.refused),
            {}},
           step.ref);
    return false;
  }
  if (checked.subject != participant_.user_id) {
    refuse({ErrorCode::token_subject_mismatch, "the new token is for another user", {}}, step.ref);
    return false;
  }
  expires_at_ = checked.expires_at;
  expiry_enforced_ = true;  // refreshed: held to its latest token in every mode
  spdlog::debug("user={} conn={} refreshed its token", participant_.username,
                participant_.connection_id);
  return true;
}

void ClientSession::refuse(const ProtocolError& error, std::string_view ref) {
  // One line per refused message: debug only, so a flood cannot flood the log.
  spdlog::debug("user={} conn={} refused: {} ({})", participant_.username,
                participant_.connection_id, to_string(error.code), error.message);
  if (error.code == ErrorCode::rate_limited) services_.metrics.rate_limited();
  services_.metrics.frames_out(OutKind::error, 1);
  link_.reply(encode_error(error, ref));
}

std::function<Result<std::int64_t>()> ClientSession::open_record(TimePoint started) const {
  return [&users = services_.users, user = participant_.user_id, instance = services_.instance_id,
          started] { return users.open_session(user, started, instance); };
}

void ClientSession::record_opened(const std::optional<Result<std::int64_t>>& opened) {
  if (opened && *opened) {
    record_id_ = **opened;
    return;
  }
  spdlog::warn("store: could not record the session of user={} conn={}: {}", participant_.username,
               participant_.connection_id,
               opened ? (*opened).error().message : "no answer in time");
}

std::function<void()> ClientSession::close_record(TimePoint ended) const {
  if (!record_id_) return {};
  return [&users = services_.users, id = *record_id_, ended] {
    if (auto closed = users.close_session(id, ended); !closed) {
      spdlog::warn("store: could not close session {}: {}", id, closed.error().message);
    }
  };
}

}  // namespace natter::chat
