// The client-frame parser: header checks in RFC 6455 order, in-place unmasking, fragment
// joining, and the UTF-8 check on whole text messages.
#include "net/ws_reader.hpp"

#include <algorithm>
#include <cstring>

namespace natter::net {

namespace {
// What one read asks for beyond the frame being parsed; small, as most client frames are.
constexpr std::size_t kReadChunk = 2048;
}  // namespace

bool is_valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1013) ||
         (code >= 3000 && code <= 4999);
}

WsReader::WsReader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

std::span<char> WsReader::prepare() {
  if (begin_ == end_) begin_ = end_ = 0;
  const std::size_t buffered = end_ - begin_;
  const std::size_t target = std::max(needed_, buffered + kReadChunk);
  if (in_.size() - begin_ < target) {
    if (begin_ > 0) {
      std::memmove(in_.data(), in_.data() + begin_, buffered);
      begin_ = 0;
      end_ = buffered;
    }
    if (in_.size() < target) in_.resize(target);
  }
  return {in_.data() + end_, in_.size() - end_};
}

void WsReader::commit(std::size_t bytes) { end_ += bytes; }

void WsReader::append(std::string_view bytes) {
  while (!bytes.empty()) {
    auto room = prepare();
    const std::size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    commit(n);
    bytes.remove_prefix(n);
  }
}

void WsReader::discard() { begin_ = end_ = needed_ = 0; }

void WsReader::trim() {
  if (begin_ == end_) {
    std::vector<char>().swap(in_);
    begin_ = end_ = 0;
  }
  if (!in_message_ && message_.capacity() > 0) std::string().swap(message_);
  payload_ = {};
}

WsReader::Event WsReader::fail(std::uint16_t code, const char* reason) {
  error_code_ = code;
  error_reason_ = reason;
  payload_ = {};
  return Event::error;
}

WsReader::Event WsReader::next() {
  if (error_code_ != 0) return Event::error;
  for (;;) {
    const std::size_t available = end_ - begin_;
    needed_ = 2;
    if (available < 2) return Event::need_more;
    auto* bytes = reinterpret_cast<unsigned char*>(in_.data() + begin_);
    const bool fin = (bytes[0] & 0x80) != 0;
    if ((bytes[0] & 0x70) != 0) return fail(1002, "reserved bits set");
    const unsigned opcode = bytes[0] & 0x0F;
    if (opcode > 0xA || (opcode > 0x2 && opcode < 0x8)) return fail(1002, "unknown opcode");
    const bool control = (opcode & 0x8) != 0;
    if ((bytes[1] & 0x80) == 0) return fail(1002, "unmasked client frame");
    std::uint64_t length = bytes[1] & 0x7F;
    if (control && !fin) return fail(1002, "fragmented control frame");
    if (control && length > 125) return fail(1002, "control frame over 125 bytes");
    const std::size_t header = 2 + (length == 126 ? 2 : length == 127 ? 8 : 0) + 4;
    needed_ = header;
    if (available < header) return Event::need_more;
    if (length == 126) {
      length = (std::uint64_t{bytes[2]} << 8) | bytes[3];
    } else if (length == 127) {
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | bytes[i];
      if ((length >> 63) != 0) return fail(1002, "frame length with the top bit set");
    }
    if (!control) {
      if (opcode == 0 && !in_message_) return fail(1002, "continuation without a message");
      if (opcode != 0 && in_message_) return fail(1002, "new message inside a fragmented one");
      const std::size_t so_far = opcode == 0 ? message_.size() : 0;
      if (length > max_message_bytes_ - so_far) return fail(1009, "message too big");
    }
    needed_ = header + static_cast<std::size_t>(length);
    if (available < needed_) return Event::need_more;

    unsigned char mask[4];
    std::memcpy(mask, bytes + header - 4, 4);
    char* data = in_.data() + begin_ + header;
    for (std::size_t i = 0; i < length; ++i) data[i] = static_cast<char>(data[i] ^ mask[i & 3]);
    begin_ += needed_;
    needed_ = 0;
    const std::string_view body(data, static_cast<std::size_t>(length));

    if (control) {
      payload_ = body;
      if (opcode == 0x9) return Event::ping;
      if (opcode == 0xA) return Event::pong;
      if (body.size() == 1) return fail(1002, "close frame with a one-byte payload");
      if (body.empty()) {
        peer_close_code_ = 1005;
        return Event::close;
      }
      peer_close_code_ = static_cast<std::uint16_t>((static_cast<unsigned char>(body[0]) << 8) |
                                                    static_cast<unsigned char>(body[1]));
      if (!is_valid_close_code(peer_close_code_)) return fail(1002, "invalid close code");
      payload_ = body.substr(2);
      if (!is_valid_utf8(payload_)) return fail(1007, "close reason is not UTF-8");
      return Event::close;
    }
    if (opcode != 0) {
      if (fin) {
        if (opcode == 0x1 && !is_valid_utf8(body)) return fail(1007, "text is not UTF-8");
        payload_ = body;
        return opcode == 0x1 ? Event::text : Event::binary;
      }
      in_message_ = true;
      message_is_text_ = opcode == 0x1;
      message_.assign(body);
      continue;
    }
    message_.append(body);
    if (!fin) continue;
    in_message_ = false;
    if (message_is_text_ && !is_valid_utf8(message_)) return fail(1007, "text is not UTF-8");
    payload_ = message_;
    return message_is_text_ ? Event::text : Event::binary;
  }
}

}  // namespace natter::net
