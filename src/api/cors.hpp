// Cross-origin access for browser dashboards: allowed origins come from NATTER_CORS_ORIGINS
// (none by default). An allowed origin is echoed back (or "*" when configured), never with
// credentials: the API's credential is a bearer header, not a cookie.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/api.hpp"
#include "config/settings.hpp"

namespace natter::api {

// The Access-Control-Allow-Origin value for this request, or nullopt when it may not have one.
std::optional<std::string> allowed_origin(const config::Settings& settings, const Request& request);

// Marks an actual response for the request's origin (Allow-Origin and Vary: Origin).
void add_cors_headers(const config::Settings& settings, const Request& request, Response& response);

// The answer to an OPTIONS pre-flight for a route that takes `methods` ("GET, POST").
Response preflight(const config::Settings& settings, const Request& request,
                   std::string_view methods);

}  // namespace natter::api
