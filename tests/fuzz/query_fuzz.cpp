// The query-string parser: api::Query (api/http_json.cpp), which every REST route with a query
// uses, over Boost.URL's origin-form parse, the same parse and params().find() the /ws upgrade
// uses for `token` and `since` (net/upgrade_auth.cpp, not callable on its own: it is a coroutine
// over the whole server context). Checks that Query keeps every parameter in order (its values
// agree with Boost.URL's find), that limit() is within 0..500 and offset() is never negative,
// that integer() accepts exactly what std::from_chars reads whole, that all() keeps its bounds,
// and that redact_target (net/forwarded.cpp) is idempotent and leaves no token value readable.
#include <boost/url.hpp>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http_json.hpp"
#include "fuzz_check.hpp"
#include "net/forwarded.hpp"

namespace {

using natter::api::Query;

void check_redaction(std::string_view target) {
  const std::string once = natter::net::redact_target(target);
  FUZZ_CHECK(natter::net::redact_target(once) == once);
  const auto question = target.find('?');
  if (question == std::string_view::npos) {
    FUZZ_CHECK(once == target);
    return;
  }
  FUZZ_CHECK(once.substr(0, question + 1) == target.substr(0, question + 1));
  // Every token parameter Boost.URL finds in the redacted target has the value "***".
  auto url = boost::urls::parse_origin_form(once);
  if (!url) return;
  for (auto param : url->params()) {
    std::string key = param.key;
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((key == "token" || key == "access_token") && param.has_value) {
      FUZZ_CHECK(param.value == "***");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  natter::fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  check_redaction(target);

  natter::api::Request request;
  request.target(target);
  auto query = Query::of(request);
  auto url = boost::urls::parse_origin_form(target);
  FUZZ_CHECK(query.ok() == url.has_value());
  if (!query) return 0;

  // The /ws upgrade's reading of the same target: the first `token` and `since`.
  for (std::string_view key : {"token", "since", "limit"}) {
    auto params = url->params();
    auto it = params.find(key);
    auto all = query->all(key, SIZE_MAX, SIZE_MAX);
    FUZZ_CHECK(all.ok());
    FUZZ_CHECK((it == params.end()) == all->empty());
    if (it != params.end()) {
      FUZZ_CHECK(std::string((*it).value) == all->front());
      FUZZ_CHECK(query->text(key) == all->back());
    } else {
      FUZZ_CHECK(!query->text(key));
    }
  }

  auto bounded = query->all("id", 4, 16);
  if (bounded) {
    FUZZ_CHECK(bounded->size() <= 4);
    for (const auto& v : *bounded) FUZZ_CHECK(v.size() <= 16);
  }

  auto since = query->integer("since");
  if (auto text = query->text("since")) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    const bool whole = ec == std::errc{} && end == text->data() + text->size();
    FUZZ_CHECK(since.ok() == whole);
    if (whole) FUZZ_CHECK(**since == n);
  } else {
    FUZZ_CHECK(since.ok() && !*since);
  }

  if (auto limit = query->limit()) FUZZ_CHECK(*limit >= 0 && *limit <= natter::api::kMaxPageLimit);
  if (auto offset = query->offset()) FUZZ_CHECK(*offset >= 0);
  return 0;
}
