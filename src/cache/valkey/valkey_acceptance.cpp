// The Valkey bus as the acceptance port: a message accepted by the accept script, delivered
// from the subscription once, and kept until then, so that what a restarted Valkey lost between
// its reply and its publish is put back (or refused) after the reconnection.
#include <spdlog/spdlog.h>

#include "cache/valkey/valkey_bus.hpp"

namespace natter::cache {
namespace {

using Kind = DeliveryLedger::Kind;

Kind kind_of(const chat::Accepted& message) {
  return std::holds_alternative<chat::ChatMessage>(message) ? Kind::public_message
                                                            : Kind::private_message;
}

}  // namespace

bool ValkeyBus::deliver_new(chat::Accepted message, std::string_view entry) {
  // One subscriber, and Valkey publishes in cacheID order: anything at or below what was
  // delivered is a repeat (or was loaded with the recent messages).
  const std::int64_t id = std::visit([](const auto& m) { return m.cache_id; }, message);
  if (!ledger_.deliver(kind_of(message), id, entry)) return false;
  remember_delivered(entry);
  events_->deliver({std::move(message)});
  return true;
}

void ValkeyBus::remember_delivered(std::string_view entry) {
  std::lock_guard lock(delivered_mutex_);
  delivered_.emplace_back(entry);
  while (delivered_.size() > requeue_limit) delivered_.pop_front();
}

std::optional<chat::ProtocolError> ValkeyBus::accept(chat::Accepted message, Refuse refuse) {
  if (!subscriber_.subscribed()) {
    // It would be accepted but not delivered here until the subscription is back.
    if (refuse) refuse({chat::ErrorCode::unavailable, "chat is unavailable; try again", {}});
    return std::nullopt;
  }
  const Kind kind = kind_of(message);
  DeliveryLedger::Unconfirmed kept{kind,
                                   0,
                                   message_body(message),
                                   std::visit([](const auto& m) { return m.owner_id; }, message),
                                   kind == Kind::public_message
                                       ? std::string()
                                       : std::get<chat::PrivateMessage>(message).recipient_id,
                                   std::move(refuse)};
  const auto limit = limiter_->limit();
  std::vector<std::string> args{std::string(1, static_cast<char>(kind)),
                                kept.sender_id,
                                std::to_string(ledger_.floor(kind)),
                                std::to_string(limit.message_limit),
                                std::to_string(limit.window_seconds),
                                kept.entry,
                                kept.recipient_id};
  submit_script(accept_script(), std::move(args),
                [this, kept = std::move(kept),
                 asked = std::chrono::steady_clock::now()](const Reply* reply) mutable {
                  if (settings_.observe_call) {
                    settings_.observe_call(std::chrono::steady_clock::now() - asked,
                                           reply && !reply->is_error());
                  }
                  if (reply && reply->type == Reply::Type::array && reply->elements.size() == 2 &&
                      reply->elements[0].integer == 1) {
                    // Accepted: it comes back through the subscription, and is kept until then.
                    kept.cache_id = reply->elements[1].integer;
                    kept.entry = bus_entry(static_cast<char>(kept.kind), kept.cache_id, kept.entry);
                    ledger_.accepted(std::move(kept));
                    return;
                  }
                  if (!kept.refuse) return;
                  if (reply && reply->type == Reply::Type::array && reply->elements.size() == 2) {
                    kept.refuse({chat::ErrorCode::rate_limited, "too many messages",
                                 std::chrono::milliseconds(reply->elements[1].integer)});
                    return;
                  }
                  if (reply && reply->is_error()) {
                    spdlog::error("valkey: the accept script failed: {}", reply->text);
                  }
                  kept.refuse({chat::ErrorCode::unavailable, "chat is unavailable; try again", {}});
                });
  return std::nullopt;
}

void ValkeyBus::restore_unconfirmed() {
  // Runs on the pipeline thread after a reconnection, ahead of everything queued, so no
  // message accepted here since is numbered before these are put back.
  auto unconfirmed = ledger_.unconfirmed();
  // Each goes to the front of the queue: newest first, so that they run oldest first.
  for (auto it = unconfirmed.rbegin(); it != unconfirmed.rend(); ++it) {
    const auto& m = *it;
    std::vector<std::string> args{std::string(1, static_cast<char>(m.kind)),
                                  std::to_string(m.cache_id), m.entry, m.sender_id, m.recipient_id};
    auto fallback = eval(restore_script(), args);
    pipeline_.submit_first(
        evalsha(restore_script(), std::move(args)),
        [this, kind = m.kind, id = m.cache_id, sender = m.sender_id](const Reply* reply) {
          if (!reply || reply->type != Reply::Type::integer) {
            if (reply) spdlog::error("valkey: the restore script failed: {}", reply->text);
            return;  // kept: tried again after the next reconnection
          }
          auto refuse = ledger_.settle(kind, id);
          if (reply->integer == 1) {
            spdlog::warn("valkey: put back message {} of user={}, accepted before Valkey lost it",
                         id, sender);
          } else if (reply->integer < 0) {
            spdlog::error(
                "valkey: message {} of user={} was lost with Valkey's data and its cacheID "
                "is taken since: refused",
                id, sender);
            if (refuse)
              refuse({chat::ErrorCode::unavailable, "chat is unavailable; try again", {}});
          }
        },
        std::move(fallback));
  }
}

}  // namespace natter::cache
