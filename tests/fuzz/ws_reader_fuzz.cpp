// WsReader (net/ws_reader.cpp): the client's bytes, split into reads of a size the input picks,
// through append() and next(). Checks every event against the frames' own headers: a message's
// payload is its frames' unmasked bodies joined, a close's code and reason are the body's, a
// text is valid UTF-8, nothing exceeds the message limit, and an error is sticky.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/ws_reader.hpp"

namespace {

using natter::net::WsReader;
constexpr std::size_t kMaxMessage = 4096;

// One frame as its header says, read from `stream` at `pos` (the reader already accepted it).
struct Frame {
  bool fin;
  unsigned opcode;
  std::string body;  // unmasked
};

Frame frame_at(std::string_view stream, std::size_t& pos) {
  const auto* b = reinterpret_cast<const unsigned char*>(stream.data() + pos);
  FUZZ_CHECK(stream.size() - pos >= 2);
  Frame f{(b[0] & 0x80) != 0, b[0] & 0x0Fu, {}};
  std::uint64_t length = b[1] & 0x7F;
  std::size_t header = 2;
  if (length == 126) {
    FUZZ_CHECK(stream.size() - pos >= 4);
    length = (std::uint64_t{b[2]} << 8) | b[3];
    header = 4;
  } else if (length == 127) {
    FUZZ_CHECK(stream.size() - pos >= 10);
    length = 0;
    for (int i = 2; i < 10; ++i) length = (length << 8) | b[i];
    header = 10;
  }
  FUZZ_CHECK(stream.size() - pos >= header + 4 && stream.size() - pos - header - 4 >= length);
  const unsigned char* mask = b + header;
  const unsigned char* data = b + header + 4;
  f.body.resize(static_cast<std::size_t>(length));
  for (std::size_t i = 0; i < length; ++i) f.body[i] = static_cast<char>(data[i] ^ mask[i & 3]);
  pos += header + 4 + static_cast<std::size_t>(length);
  return f;
}

// What the next event's payload must be: control frames stand alone (also between the
// fragments of a message), data frames join.
struct Model {
  std::string joined;
  unsigned first_opcode = 0;

  Frame next_event(std::string_view stream, std::size_t& pos) {
    for (;;) {
      Frame f = frame_at(stream, pos);
      if (f.opcode >= 0x8) return f;
      if (f.opcode != 0) {
        first_opcode = f.opcode;
        joined = f.body;
      } else {
        joined += f.body;
      }
      if (f.fin) return Frame{true, first_opcode, std::move(joined)};
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // The first byte picks the read size: 1..127 bytes, or everything at once.
  const std::size_t chunk = (data[0] & 0x7F) == 0 ? size : (data[0] & 0x7F);
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  WsReader reader(kMaxMessage);
  std::size_t fed = 0;
  std::size_t parsed = 0;  // where the model's next frame starts
  bool failed = false;
  Model model;
  while (fed < stream.size() && !failed) {
    const std::size_t n = std::min(chunk, stream.size() - fed);
    reader.append(stream.substr(fed, n));
    fed += n;
    for (;;) {
      const auto event = reader.next();
      if (event == WsReader::Event::need_more) break;
      if (event == WsReader::Event::error) {
        const auto code = reader.error_code();
        FUZZ_CHECK(code == 1002 || code == 1007 || code == 1009);
        FUZZ_CHECK(reader.next() == WsReader::Event::error && reader.error_code() == code);
        failed = true;
        break;
      }
      const Frame expected = model.next_event(stream, parsed);
      FUZZ_CHECK(parsed <= fed);
      const std::string_view payload = reader.payload();
      switch (event) {
        case WsReader::Event::text:
          FUZZ_CHECK(expected.opcode == 0x1);
          FUZZ_CHECK(natter::is_valid_utf8(payload));
          FUZZ_CHECK(payload.size() <= kMaxMessage && payload == expected.body);
          break;
        case WsReader::Event::binary:
          FUZZ_CHECK(expected.opcode == 0x2);
          FUZZ_CHECK(payload.size() <= kMaxMessage && payload == expected.body);
          break;
        case WsReader::Event::ping:
        case WsReader::Event::pong:
          FUZZ_CHECK(expected.opcode == (event == WsReader::Event::ping ? 0x9u : 0xAu));
          FUZZ_CHECK(payload.size() <= 125 && payload == expected.body);
          break;
        case WsReader::Event::close:
          FUZZ_CHECK(expected.opcode == 0x8);
          if (expected.body.empty()) {
            FUZZ_CHECK(reader.peer_close_code() == 1005 && payload.empty());
          } else {
            const auto* b = reinterpret_cast<const unsigned char*>(expected.body.data());
            FUZZ_CHECK(reader.peer_close_code() == ((b[0] << 8) | b[1]));
            FUZZ_CHECK(natter::net::is_valid_close_code(reader.peer_close_code()));
            FUZZ_CHECK(payload == std::string_view(expected.body).substr(2));
            FUZZ_CHECK(natter::is_valid_utf8(payload));
          }
          break;
        default:
          FUZZ_CHECK(false);
      }
    }
    if (!failed && reader.idle()) reader.trim();
  }
  // Outside a message, the reader is idle exactly when the model has consumed every byte (what
  // the model has not consumed is a frame still unfinished).
  if (!failed && !reader.in_message()) FUZZ_CHECK(reader.idle() == (parsed == stream.size()));
  return 0;
}
