// CORS pre-flight answers and response headers.
#include "api/cors.hpp"

#include <algorithm>
#include <boost/beast/http.hpp>

namespace natter::api {
namespace http = boost::beast::http;

namespace {
constexpr std::string_view kPreflightMaxAgeSeconds = "600";  // browsers cap it near this anyway
}

std::optional<std::string> allowed_origin(const config::Settings& settings,
                                          const Request& request) {
  auto it = request.find(http::field::origin);
  if (it == request.end() || it->value().empty()) return std::nullopt;
  const std::string_view origin = it->value();
  const auto& allowed = settings.cors_origins;
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) return std::string("*");
  if (std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) {
    return std::string(origin);
  }
  return std::nullopt;
}

void add_cors_headers(const config::Settings& settings, const Request& request,
                      Response& response) {
  if (settings.cors_origins.empty()) return;
  response.set(http::field::vary, "Origin");
  if (auto origin = allowed_origin(settings, request)) {
    response.set(http::field::access_control_allow_origin, *origin);
  }
}

Response preflight(const config::Settings& settings, const Request& request,
                   std::string_view methods) {
  Response res{http::status::no_content, request.version()};
  res.set(http::field::server, "natter");
  res.set(http::field::allow, methods);
  res.keep_alive(request.keep_alive());
  if (!settings.cors_origins.empty()) res.set(http::field::vary, "Origin");
  if (auto origin = allowed_origin(settings, request)) {
    res.set(http::field::access_control_allow_origin, *origin);
    res.set(http::field::access_control_allow_methods, methods);
    res.set(http::field::access_control_allow_headers, "Authorization, Content-Type");
    res.set(http::field::access_control_max_age, kPreflightMaxAgeSeconds);
  }
  return res;
}

}  // namespace natter::api
