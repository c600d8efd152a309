// What one client's messages mean once its transport has read them: the protocol's dispatch
// (chat, private, ping, pong, refresh_token), the directory lookup of a recipient not seen since
// start, the token refresh's rules, the error answers, and the connection's analytics record.
// Sans-IO: what needs the store or the token verifier is handed back to the transport as a step
// or a job to run (store work on a worker thread), and its answer comes back in. Knows nothing
// of sockets, Asio or tokens' cryptography.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "chat/chat_metrics.hpp"
#include "chat/hub.hpp"
#include "chat/protocol.hpp"
#include "chat/user_store.hpp"
#include "common/result.hpp"

namespace natter::chat {

class ClientSession {
 public:
  using SystemTime = std::chrono::system_clock::time_point;

  // What every client session uses; one for all of them, held by reference.
  struct Services {
    Hub& hub;
    const ProtocolLimits& limits;
    ChatMetrics& metrics;
    UserStore& users;         // the directory, and the session records
    std::string instance_id;  // this process, written in each session record
    // The token's exp closes the connection (NATTER_TOKEN_EXPIRY=enforce).
    bool expiry_enforced = false;
  };

  // What the session needs of the transport that carries it; called on the session's own
  // thread, except for the refusals `late_refusal` makes.
  class Link {
   public:
    virtual ~Link() = default;
    // Queues a frame to the client.
    virtual void reply(const Frame& frame) = 0;
    // A refusal the acceptance may report later, from its own thread: the transport brings
    // it back to the session's thread and answers it there (with `refuse`).
    virtual Acceptance::Refuse late_refusal(std::string ref) = 0;
  };

  // A private message to a recipient the hub does not know: the store's user directory may.
  struct LookUpRecipient {
    PrivateRequest request;
    std::string ref;
    ProtocolError unknown;  // the hub's answer, kept when the directory does not know them
    // The directory's lookup: store work, for a worker thread.
    std::function<Result<std::optional<std::string>>()> query;
  };
  // A refresh_token to check as the upgrade checks a token.
  struct CheckToken {
    std::string token;
    std::string ref;
  };
  // What the transport must run before the message is answered; monostate: nothing.
  using Step = std::variant<std::monostate, LookUpRecipient, CheckToken>;

  // The transport's check of a refresh token.
  struct CheckedToken {
    std::optional<std::string> refused;  // why it was refused ("token expired"), or none
    std::string subject;
    SystemTime expires_at;
  };

  ClientSession(const Services& services, Link& link, Participant participant,
                SystemTime expires_at);

  const Participant& participant() const { return participant_; }
  // When the token this connection is held to expires, and whether that closes it (4001).
  SystemTime expires_at() const { return expires_at_; }
  bool expiry_enforced() const { return expiry_enforced_; }

  // Enters the hub (presence, the connect sequence); `connection` is this session's transport.
  void join(std::shared_ptr<Connection> connection, std::optional<std::int64_t> since,
            std::vector<ChatMessage> older, bool older_truncated);
  void leave();

  // One text message from the client: answered now, or the step it waits for.
  Step handle(std::string_view text);
  // The directory's answer for a LookUpRecipient: the username, none, or an error.
  void recipient_found(const LookUpRecipient& step,
                       const Result<std::optional<std::string>>& username);
  // The check's answer for a CheckToken. True when the expiry changed (re-arm its timer).
  bool token_checked(const CheckToken& step, const CheckedToken& checked);

  // Answers a message with an error frame (counted, logged at debug).
  void refuse(const ProtocolError& error, std::string_view ref);

  // The connection's analytics record (the store's sessions): `open_record` is the store work,
  // for a worker thread, whose answer (none: it did not answer) goes to `record_opened`;
  // `close_record` is the work that closes it, empty when it never opened. A store that cannot
  // answer is logged, and chat goes on.
  std::function<Result<std::int64_t>()> open_record(TimePoint started) const;
  void record_opened(const std::optional<Result<std::int64_t>>& opened);
  std::function<void()> close_record(TimePoint ended) const;

 private:
  const Services& services_;
  Link& link_;
  Participant participant_;
  SystemTime expires_at_;
  std::optional<std::int64_t> record_id_;  // the store's session record, once opened
  // Enforced by the settings, or once the connection has sent a good refresh_token.
  bool expiry_enforced_;
};

}  // namespace natter::chat
