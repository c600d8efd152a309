// The REST request bodies: api::body_object and the field readers every route uses
// (int_field, optional_int_field, string_field, optional_string_field in api/http_json.cpp),
// for the fields the routes read, with their bounds. Checks that an accepted body is a JSON
// object that writes back and parses to the same value (when it holds no double), that an accepted
// integer is exactly the JSON number (a uint64 past INT64_MAX refused), that an accepted string
// is the JSON string, clean text and within its bound, and that a missing or null optional
// field reads as absent.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "api/http_json.hpp"
#include "chat/protocol.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace natter::api;

// The integer fields the routes read, and their string fields with the routes' bounds.
constexpr std::string_view kIntFields[] = {"id", "before_id", "duration", "message_limit",
                                           "window_seconds"};
struct TextField {
  std::string_view key;
  std::size_t max_bytes;
};
constexpr TextField kTextFields[] = {
    {"name", 64}, {"description", 512}, {"banished_id", 255}, {"reason", 512}};

bool is_integer(const boost::json::value& v) {
  return v.is_int64() ||
         (v.is_uint64() &&
          v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
}

std::int64_t integer_of(const boost::json::value& v) {
  return v.is_int64() ? v.get_int64() : static_cast<std::int64_t>(v.get_uint64());
}

// Doubles are left out of the round trip: Boost.JSON's default number parsing is not correctly
// rounded (a double written back may read as a neighbouring one) and an overflowing number reads
// as infinity, which it writes as a number that no longer parses. The routes read no doubles.
bool has_double(const boost::json::value& v) {
  if (v.is_double()) return true;
  if (v.is_array()) {
    for (const auto& item : v.get_array()) {
      if (has_double(item)) return true;
    }
  }
  if (v.is_object()) {
    for (const auto& item : v.get_object()) {
      if (has_double(item.value())) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  natter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Request request;
  request.body().assign(reinterpret_cast<const char*>(data), size);
  auto body = body_object(request);
  if (!body) {
    FUZZ_CHECK(body.error().kind == natter::Error::Kind::invalid);
    return 0;
  }

  // Written back and read again: the same object (doubles aside, see has_double()).
  if (!has_double(boost::json::value(*body))) {
    Request again;
    again.body() = boost::json::serialize(*body);
    auto reread = body_object(again);
    FUZZ_CHECK(reread && *reread == *body);
  }

  for (auto key : kIntFields) {
    const auto* value = body->if_contains(key);
    const bool absent = !value || value->is_null();
    auto required = int_field(*body, key);
    auto optional = optional_int_field(*body, key);
    if (absent) {
      FUZZ_CHECK(!required && optional && !*optional);
      continue;
    }
    FUZZ_CHECK(required.ok() == is_integer(*value) && optional.ok() == is_integer(*value));
    if (required) FUZZ_CHECK(*required == integer_of(*value) && **optional == *required);
  }

  for (auto [key, max_bytes] : kTextFields) {
    const auto* value = body->if_contains(key);
    const bool absent = !value || value->is_null();
    auto required = string_field(*body, key, max_bytes);
    auto optional = optional_string_field(*body, key, max_bytes);
    if (absent) {
      FUZZ_CHECK(!required && optional && !*optional);
      continue;
    }
    FUZZ_CHECK(required.ok() == optional.ok());
    const bool good = value->is_string() && value->get_string().size() <= max_bytes &&
                      natter::chat::is_clean_text(value->get_string());
    FUZZ_CHECK(required.ok() == good);
    if (required) FUZZ_CHECK(*required == value->get_string() && **optional == *required);
  }
  return 0;
}
