#include "net/ws_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "chat/frame.hpp"

namespace natter::net {
namespace {

using Event = WsReader::Event;

// A client frame as RFC 6455 requires it: masked, with the given header bits.
std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                         std::uint8_t rsv = 0, bool masked = true) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | rsv | opcode));
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((n >> shift) & 0xFF));
  }
  const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) out.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i]);
  }
  return out;
}

struct Seen {
  Event event;
  std::string payload;
  std::uint16_t code = 0;
};

// Feeds `bytes` in chunks of `chunk` (through prepare/commit, as a socket read would) and
// collects every event until the reader needs more or fails.
std::vector<Seen> feed(WsReader& reader, std::string_view bytes, std::size_t chunk) {
  std::vector<Seen> seen;
  auto drain = [&] {
    for (;;) {
      const auto event = reader.next();
      if (event == Event::need_more) return true;
      Seen s{event, std::string(reader.payload()), 0};
      if (event == Event::close) s.code = reader.peer_close_code();
      if (event == Event::error) s.code = reader.error_code();
      seen.push_back(std::move(s));
      if (event == Event::error) return false;
    }
  };
  bool failed = false;
  while (!bytes.empty() && !failed) {
    auto room = reader.prepare();
    EXPECT_FALSE(room.empty());
    if (room.empty()) break;
    const std::size_t n = std::min({chunk, room.size(), bytes.size()});
    std::memcpy(room.data(), bytes.data(), n);
    reader.commit(n);
    bytes.remove_prefix(n);
    failed = !drain();
  }
  if (!failed) drain();
  return seen;
}

std::vector<Seen> feed(std::string_view bytes, std::size_t chunk = 1 << 20,
                       std::size_t max = 1 << 20) {
  WsReader reader(max);
  return feed(reader, bytes, chunk);
}

TEST(WsFrame, ServerFramesAreUnmaskedWithMinimalLengths) {
  auto small = chat::frame_bytes(chat::Opcode::text, "hi");
  EXPECT_EQ(small, std::string("\x81\x02hi", 4));
  EXPECT_EQ(chat::frame_payload(small), "hi");

  const std::string medium_payload(300, 'm');
  auto medium = chat::frame_bytes(chat::Opcode::text, medium_payload);
  ASSERT_EQ(medium.size(), 4u + 300u);
  EXPECT_EQ(static_cast<unsigned char>(medium[1]), 126);
  EXPECT_EQ(static_cast<unsigned char>(medium[2]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>(medium[3]), 0x2C);
  EXPECT_EQ(chat::frame_payload(medium), medium_payload);

  const std::string edge(125, 'e');
  EXPECT_EQ(chat::frame_bytes(chat::Opcode::text, edge).size(), 2u + 125u);
  const std::string edge16(65535, 'e');
  EXPECT_EQ(chat::frame_bytes(chat::Opcode::text, edge16).size(), 4u + 65535u);

  const std::string large_payload(70000, 'L');
  auto large = chat::frame_bytes(chat::Opcode::binary, large_payload);
  ASSERT_EQ(large.size(), 10u + 70000u);
  EXPECT_EQ(static_cast<unsigned char>(large[0]), 0x82);
  EXPECT_EQ(static_cast<unsigned char>(large[1]), 127);
  std::uint64_t n = 0;
  for (int i = 2; i < 10; ++i) n = (n << 8) | static_cast<unsigned char>(large[i]);
  EXPECT_EQ(n, 70000u);
  EXPECT_EQ(chat::frame_payload(large), large_payload);

  auto ping = chat::frame_bytes(chat::Opcode::ping, {});
  EXPECT_EQ(ping, std::string("\x89\x00", 2));
}

TEST(WsReader, ReadsMaskedTextWholeAndByteByByte) {
  const auto bytes = client_frame(0x1, R"({"type":"ping"})") + client_frame(0x1, "second");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{1} << 20}) {
    auto seen = feed(bytes, chunk);
    ASSERT_EQ(seen.size(), 2u) << chunk;
    EXPECT_EQ(seen[0].event, Event::text);
    EXPECT_EQ(seen[0].payload, R"({"type":"ping"})");
    EXPECT_EQ(seen[1].payload, "second");
  }
}

TEST(WsReader, Reads16And64BitLengths) {
  const std::string medium(300, 'a');
  const std::string large(70000, 'b');
  const auto bytes = client_frame(0x1, medium) + client_frame(0x2, large);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    auto seen = feed(bytes, chunk);
    ASSERT_EQ(seen.size(), 2u) << chunk;
    EXPECT_EQ(seen[0].event, Event::text);
    EXPECT_EQ(seen[0].payload, medium);
    EXPECT_EQ(seen[1].event, Event::binary);
    EXPECT_EQ(seen[1].payload, large);
  }
}

TEST(WsReader, JoinsFragmentsWithControlFramesBetween) {
  const auto bytes = client_frame(0x1, "hel", false) + client_frame(0x9, "p1") +
                     client_frame(0x0, "lo ", false) + client_frame(0xA, "") +
                     client_frame(0x0, "world") + client_frame(0x1, "next");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, std::size_t{1} << 20}) {
    auto seen = feed(bytes, chunk);
    ASSERT_EQ(seen.size(), 4u) << chunk;
    EXPECT_EQ(seen[0].event, Event::ping);
    EXPECT_EQ(seen[0].payload, "p1");
    EXPECT_EQ(seen[1].event, Event::pong);
    EXPECT_EQ(seen[2].event, Event::text);
    EXPECT_EQ(seen[2].payload, "hello world");
    EXPECT_EQ(seen[3].payload, "next");
  }
}

TEST(WsReader, FragmentedTextIsCheckedAsAWholeForUtf8) {
  // "é" is 0xC3 0xA9: split across two fragments it is still valid.
  auto seen = feed(client_frame(0x1, "caf\xC3", false) + client_frame(0x0, "\xA9"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].payload, "caf\xC3\xA9");
  seen = feed(client_frame(0x1, "caf\xC3", false) + client_frame(0x0, "x"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, Event::error);
  EXPECT_EQ(seen[0].code, 1007);
}

TEST(WsReader, ReadsCloseFrames) {
  auto seen = feed(client_frame(0x8, std::string("\x03\xE8", 2) + "bye"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, Event::close);
  EXPECT_EQ(seen[0].code, 1000);
  EXPECT_EQ(seen[0].payload, "bye");

  seen = feed(client_frame(0x8, ""));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].code, 1005);

  seen = feed(client_frame(0x8, std::string("\x0F\xA0", 2)));  // 4000: application range
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].code, 4000);
}

std::uint16_t error_of(const std::string& bytes, std::size_t max = 1 << 20) {
  auto seen = feed(bytes, 1 << 20, max);
  if (seen.empty() || seen.back().event != Event::error) return 0;
  return seen.back().code;
}

TEST(WsReader, RefusesBadFrames) {
  EXPECT_EQ(error_of(client_frame(0x1, "x", true, 0, false)), 1002);    // unmasked
  EXPECT_EQ(error_of(client_frame(0x1, "x", true, 0x40)), 1002);        // RSV1 without extension
  EXPECT_EQ(error_of(client_frame(0x1, "x", true, 0x10)), 1002);        // RSV3
  EXPECT_EQ(error_of(client_frame(0x3, "x")), 1002);                    // reserved data opcode
  EXPECT_EQ(error_of(client_frame(0xB, "x")), 1002);                    // reserved control opcode
  EXPECT_EQ(error_of(client_frame(0x9, std::string(126, 'p'))), 1002);  // control over 125
  EXPECT_EQ(error_of(client_frame(0x9, "p", false)), 1002);             // fragmented control
  EXPECT_EQ(error_of(client_frame(0x0, "x")), 1002);  // continuation without a start
  EXPECT_EQ(error_of(client_frame(0x1, "a", false) + client_frame(0x1, "b")), 1002);
  EXPECT_EQ(error_of(client_frame(0x8, "\x03")), 1002);                      // 1-byte close
  EXPECT_EQ(error_of(client_frame(0x8, std::string("\x03\xED", 2))), 1002);  // 1005
  EXPECT_EQ(error_of(client_frame(0x8, std::string("\x03\xE8\xFF", 3))), 1007);
  EXPECT_EQ(error_of(client_frame(0x1, "\xFF")), 1007);
  EXPECT_EQ(error_of(client_frame(0x1, "\xED\xA0\x80")), 1007);  // a UTF-16 surrogate
  EXPECT_EQ(error_of(client_frame(0x1, "\xC0\xAF")), 1007);      // overlong
  EXPECT_EQ(error_of(client_frame(0x2, "\xFF")), 0);             // binary is not UTF-8 checked
}

TEST(WsReader, RefusesMessagesOverTheLimitFromTheHeader) {
  EXPECT_EQ(error_of(client_frame(0x1, std::string(100, 'x')), 99), 1009);
  EXPECT_EQ(error_of(client_frame(0x1, std::string(99, 'x')), 99), 0);
  // Fragments count together.
  EXPECT_EQ(error_of(client_frame(0x1, std::string(60, 'x'), false) +
                         client_frame(0x0, std::string(60, 'x')),
                     99),
            1009);
  // Known from the header alone: a 64-bit length is refused before its payload arrives.
  std::string header("\x81\xFF\x00\x00\x00\x01\x00\x00\x00\x00\x01\x02\x03\x04", 14);
  WsReader reader(65536);
  auto seen = feed(reader, header, 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].code, 1009);
  EXPECT_EQ(reader.next(), Event::error);  // sticky
}

TEST(WsReader, KeepsNoMemoryWhenIdle) {
  WsReader reader(1 << 20);
  auto seen = feed(reader, client_frame(0x1, std::string(50000, 'x')), 1 << 20);
  ASSERT_EQ(seen.size(), 1u);
  reader.trim();
  auto room = reader.prepare();
  EXPECT_LE(room.size(), 4096u);  // back to a small read after the large message
  reader.trim();
  // Bytes handed over before the first read are parsed like any other.
  WsReader early(1024);
  early.append(client_frame(0x1, "early"));
  EXPECT_EQ(early.next(), Event::text);
  EXPECT_EQ(early.payload(), "early");
}

TEST(Utf8, AcceptsWellFormedAndRefusesTheRest) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong
  EXPECT_FALSE(is_valid_utf8("abcdefgh\xF5\x80\x80\x80"));
}

}  // namespace
}  // namespace natter::net
