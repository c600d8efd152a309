// Names of the outgoing message types, and the implementation that records nothing.
#include "chat/chat_metrics.hpp"

#include <array>

namespace natter::chat {

std::string_view to_string(OutKind kind) {
  static constexpr std::array<std::string_view, kOutKinds> kNames = {
      "chat_message",
      "private_chat_message",
      "bulk_chat_messages",
      "bulk_private_messages",
      "active_channels",
      "connected_users",
      "user_status",
      "messages_deleted",
      "analytics",
      "error",
      "pong",
  };
  return kNames.at(static_cast<std::size_t>(kind));
}

namespace {
class NoMetrics final : public ChatMetrics {
 public:
  void frames_out(OutKind, std::size_t) override {}
  void fanned_out(Duration) override {}
  void committed(std::size_t, Duration, bool) override {}
  void commit_queue_depth(std::size_t) override {}
  void message_in(InKind) override {}
  void rate_limited() override {}
};
}  // namespace

ChatMetrics& ChatMetrics::none() {
  static NoMetrics none;
  return none;
}

}  // namespace natter::chat
