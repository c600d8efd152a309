// What travels between natter instances over Valkey, as JSON with a one-letter type "t":
//   p  a public message
//   {"t":"p","id":CACHEID,"o":owner,"u":username,"c":channel,"m":text,"a":micros} q  a private
//   message    {"t":"q","id":CACHEID,"o":..,"u":..,"r":recipient_id,"n":recipient,"m":..,"a":..} s
//   presence             {"t":"s","i":instance,"o":user_id,"u":username,"on":true|false} d messages
//   deleted     {"t":"d","i":instance,"ids":[..]} b  a user disconnected
//   {"t":"b","i":instance,"o":user_id,"code":4003,"reason":".."} c  channels changed
//   {"t":"c","i":instance,"channels":[{"id","name","description","sort"}]} r  rate limit changed
//   {"t":"r","i":instance,"limit":N,"window":N} g  an instance gone     {"t":"g","i":instance}
// Messages (p, q) are completed by the accept script, which puts the type and the cacheID in
// front of the body natter sends: the same text is the recent-list entry, the flush-queue
// entry and the published event.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "chat/bus.hpp"

namespace natter::cache {

// The body of a message without its opening brace, type and cacheID (the script adds them).
std::string message_body(const chat::Accepted& message);
// The bus event the accept script makes of a body: kind (p or q) and cacheID put in front.
std::string bus_entry(char kind, std::int64_t cache_id, std::string_view body);

std::string presence_event(const std::string& instance, const chat::UserStatus& status);
std::string deleted_event(const std::string& instance, std::span<const std::int64_t> cache_ids);
std::string disconnect_event(const std::string& instance, const std::string& user_id,
                             chat::CloseCode code, const std::string& reason);
std::string channels_event(const std::string& instance, const std::vector<chat::Channel>& channels);
std::string rate_event(const std::string& instance, chat::RateLimit limit);

struct PresenceEvent {
  std::string instance;
  chat::UserStatus status;
};
struct DeletedEvent {
  std::string instance;
  std::vector<std::int64_t> cache_ids;
};
struct DisconnectEvent {
  std::string instance;
  std::string user_id;
  chat::CloseCode code;
  std::string reason;
};
struct ChannelsEvent {
  std::string instance;
  std::vector<chat::Channel> channels;
};
struct RateEvent {
  std::string instance;
  chat::RateLimit limit;
};
struct GoneEvent {
  std::string instance;
};

using BusEvent = std::variant<chat::ChatMessage, chat::PrivateMessage, PresenceEvent, DeletedEvent,
                              DisconnectEvent, ChannelsEvent, RateEvent, GoneEvent>;

// Empty when the text is not a well-formed event.
std::optional<BusEvent> parse_event(std::string_view text);

}  // namespace natter::cache
