// Parses the WebSocket frames a client sends (RFC 6455 section 5) from bytes as they arrive, in
// any split: unmasks them, joins fragmented messages, and names the protocol errors a server
// must close for. Owns its input buffer, which is empty while idle. Knows no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.hpp"

namespace natter::net {

// True for the close codes a peer may send (RFC 6455 section 7.4).
bool is_valid_close_code(std::uint16_t code);

class WsReader {
 public:
  enum class Event {
    need_more,  // no complete event buffered: read more
    text,       // a whole text message (valid UTF-8): payload()
    binary,     // a whole binary message: payload()
    ping,       // payload() is what the pong must echo
    pong,
    close,  // peer_close_code() (1005 when absent), payload() is the reason
    error,  // close with error_code(); error_reason() says why; sticky
  };

  // `max_message_bytes`: the largest message, fragments joined, before closing 1009.
  explicit WsReader(std::size_t max_message_bytes);

  // Room for the next read: at least what the frame being parsed still needs.
  std::span<char> prepare();
  void commit(std::size_t bytes);
  void append(std::string_view bytes);  // bytes read elsewhere (after the HTTP upgrade)
  void discard();                       // drops everything buffered

  // The next event; payload() stays valid until the next call to next() or prepare().
  Event next();
  std::string_view payload() const { return payload_; }
  std::uint16_t peer_close_code() const { return peer_close_code_; }
  std::uint16_t error_code() const { return error_code_; }
  std::string_view error_reason() const { return error_reason_; }

  // True when nothing is buffered and no message is half-read: the peer owes us nothing.
  bool idle() const { return begin_ == end_ && !in_message_; }
  // True between the first and the last fragment of a message.
  bool in_message() const { return in_message_; }

  // Frees the buffers when nothing is buffered and no message is half-read (call before an
  // idle wait), so an idle connection holds no read memory.
  void trim();

 private:
  Event fail(std::uint16_t code, const char* reason);

  std::size_t max_message_bytes_;
  std::vector<char> in_;
  std::size_t begin_ = 0;   // first unparsed byte
  std::size_t end_ = 0;     // one past the last byte read
  std::size_t needed_ = 0;  // bytes from begin_ the current frame needs in all
  std::string message_;     // fragments of the message being joined
  bool in_message_ = false;
  bool message_is_text_ = false;
  std::string_view payload_;
  std::uint16_t peer_close_code_ = 0;
  std::uint16_t error_code_ = 0;
  const char* error_reason_ = "";
};

}  // namespace natter::net
