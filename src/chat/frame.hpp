// Whole WebSocket frames as the server sends them (RFC 6455 section 5.2): never masked, never
// fragmented, so a frame is a 2-10 byte header and the payload, built once into the immutable
// buffer every recipient shares. Knows no sockets; net's WsReader parses what clients send.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace natter::chat {

// One server-to-client frame, header included; shared by every recipient, never modified.
using Frame = std::shared_ptr<const std::string>;

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

constexpr std::size_t kMaxFrameHeaderBytes = 10;

constexpr std::size_t frame_header_size(std::size_t payload_bytes) {
  return payload_bytes < 126 ? 2 : payload_bytes <= 0xFFFF ? 4 : 10;
}

// Appends the header of a final, unmasked frame carrying `payload_bytes`.
inline void append_frame_header(std::string& out, Opcode opcode, std::size_t payload_bytes) {
  out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
  if (payload_bytes < 126) {
    out.push_back(static_cast<char>(payload_bytes));
  } else if (payload_bytes <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(payload_bytes >> 8));
    out.push_back(static_cast<char>(payload_bytes & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(payload_bytes) >> shift) & 0xFF));
    }
  }
}

inline std::string frame_bytes(Opcode opcode, std::string_view payload) {
  std::string out;
  out.reserve(frame_header_size(payload.size()) + payload.size());
  append_frame_header(out, opcode, payload.size());
  out.append(payload);
  return out;
}

inline Frame make_frame(Opcode opcode, std::string_view payload) {
  return std::make_shared<const std::string>(frame_bytes(opcode, payload));
}

// The payload of a whole frame built above (for tests and logs; the writer sends frames as is).
inline std::string_view frame_payload(std::string_view frame) {
  if (frame.size() < 2) return {};
  const auto length = static_cast<std::uint8_t>(frame[1]) & 0x7F;
  const std::size_t header = length < 126 ? 2 : length == 126 ? 4 : 10;
  return frame.size() < header ? std::string_view{} : frame.substr(header);
}

// The payloads of the whole frames one buffer holds back to back (a presence batch holds
// several); for tests and logs.
inline std::vector<std::string_view> frame_payloads(std::string_view frames) {
  std::vector<std::string_view> out;
  while (frames.size() >= 2) {
    const auto length = static_cast<std::uint8_t>(frames[1]) & 0x7F;
    const std::size_t header = length < 126 ? 2 : length == 126 ? 4 : 10;
    if (frames.size() < header) break;
    std::uint64_t payload = length;
    if (length >= 126) {
      payload = 0;
      for (std::size_t i = 2; i < header; ++i) {
        payload = payload << 8 | static_cast<std::uint8_t>(frames[i]);
      }
    }
    if (frames.size() - header < payload) break;
    out.push_back(frames.substr(header, payload));
    frames.remove_prefix(header + payload);
  }
  return out;
}

}  // namespace natter::chat
