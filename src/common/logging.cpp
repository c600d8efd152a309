// spdlog formatters for the two log formats; the JSON one escapes the message itself.
#include "common/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "common/log_event.hpp"

namespace natter {
namespace {

// %* : a structured record's members as they are (common/log_event.hpp), or any other line
// as a "message" member.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!payload.empty() && payload.front() == kRecordMark) {
      dest.append(payload.data() + 1, payload.data() + payload.size());
      return;
    }
    static constexpr std::string_view kOpen = "\"message\":\"";
    dest.append(kOpen.data(), kOpen.data() + kOpen.size());
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : payload) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (byte < 0x20) {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]};
        dest.append(escaped, escaped + sizeof(escaped));
      } else {
        dest.push_back(c);
      }
    }
    dest.push_back('"');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

void configure_logging(const std::string& format, const std::string& level) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (format == "json") {
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%*})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v");
  }
  set_json_records(format == "json");
  spdlog::set_formatter(std::move(formatter));
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace natter
