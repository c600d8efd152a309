// One operator-facing event as a structured record: an `event` name and named fields (`user`,
// `sub`, `conn`, `remote`, `reason`, `code`, `duration_ms`, ...). In the JSON log format they
// are top-level keys of the line's object; in the human format `key=value` pairs (values with
// spaces or quotes are quoted). Never give a token as a field.
#pragma once

#include <spdlog/common.h>

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace natter {

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t> value;

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  template <typename Int>
  requires std::is_integral_v<Int> LogField(std::string_view k, Int v)
      : key(k), value(static_cast<std::int64_t>(v)) {}
};

void log_event(spdlog::level::level_enum level, std::string_view event,
               std::initializer_list<LogField> fields);

// A shared dependency (the store, Valkey) going down and coming back, logged once each
// (`<name>_down` with the first failure's reason, `<name>_up`), however many calls fail.
// Thread-safe.
class OutageLog {
 public:
  explicit OutageLog(std::string name) : name_(std::move(name)) {}
  void report(bool ok, std::string_view reason = {});

 private:
  std::string name_;
  std::atomic<bool> down_{false};
};

// For the formatter (common/logging.cpp): whether records are written for the JSON format,
// and the byte that starts a record's payload there.
void set_json_records(bool json);
inline constexpr char kRecordMark = '\x1e';

}  // namespace natter
