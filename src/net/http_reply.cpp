// JSON answers: natter's Server header, no caching, the request's keep-alive.
#include "net/http_reply.hpp"

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace natter::net {
namespace http = boost::beast::http;
namespace json = boost::json;

Response json_response(const Request& request, http::status status, const json::value& body) {
  Response res{status, request.version()};
  res.set(http::field::server, "natter");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(request.keep_alive());
  res.body() = json::serialize(body);
  res.prepare_payload();
  return res;
}

Response no_content(const Request& request) {
  Response res{http::status::no_content, request.version()};
  res.set(http::field::server, "natter");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(request.keep_alive());
  return res;
}

Response error_response(const Request& request, http::status status, std::string_view code,
                        std::string_view message) {
  return json_response(request, status,
                       json::object{{"error", json::object{{"code", code}, {"message", message}}}});
}

}  // namespace natter::net
