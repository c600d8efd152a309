// Building a structured record for the configured format.
#include "common/log_event.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

namespace natter {
namespace {

std::atomic<bool> json_records{false};

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_human_value(std::string& out, std::string_view text) {
  const bool plain = !text.empty() && text.find_first_of(" \t\"=\n\r") == std::string_view::npos;
  if (plain) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  out += '"';
}

}  // namespace

void set_json_records(bool json) { json_records = json; }

void OutageLog::report(bool ok, std::string_view reason) {
  if (ok) {
    if (down_.exchange(false)) log_event(spdlog::level::info, name_ + "_up", {});
  } else if (!down_.exchange(true)) {
    log_event(spdlog::level::warn, name_ + "_down", {{"reason", reason}});
  }
}

void log_event(spdlog::level::level_enum level, std::string_view event,
               std::initializer_list<LogField> fields) {
  if (!spdlog::should_log(level)) return;
  std::string out;
  if (json_records) {
    out += kRecordMark;
    out += "\"event\":";
    append_json_string(out, event);
    for (const auto& field : fields) {
      out += ',';
      append_json_string(out, field.key);
      out += ':';
      if (const auto* text = std::get_if<std::string_view>(&field.value)) {
        append_json_string(out, *text);
      } else {
        out += std::to_string(std::get<std::int64_t>(field.value));
      }
    }
  } else {
    out += "event=";
    out += event;
    for (const auto& field : fields) {
      out += ' ';
      out += field.key;
      out += '=';
      if (const auto* text = std::get_if<std::string_view>(&field.value)) {
        append_human_value(out, *text);
      } else {
        out += std::to_string(std::get<std::int64_t>(field.value));
      }
    }
  }
  spdlog::log(level, "{}", out);
}

}  // namespace natter
