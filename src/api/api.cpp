// Dispatch of the REST routes: path, then method (405 with Allow), CORS pre-flight, the
// bearer token and role, then the route group's handler. Paths that are not the API's go back
// to net (nullopt).
#include "api/api.hpp"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <variant>

#include "api/auth_guard.hpp"
#include "api/cors.hpp"
#include "api/http_json.hpp"
#include "api/routes.hpp"

namespace natter::api {
namespace asio = boost::asio;

namespace {

struct Method {
  http::verb verb = http::verb::unknown;
  Role role = Role::admin;
  Handler handler = nullptr;
};

struct Route {
  std::string_view path;
  std::string_view allow;  // the Allow header: the methods below, HEAD with GET, OPTIONS
  std::array<Method, 4> methods;
};

const std::array<Route, 8> kRoutes{{
    {"/channels",
     "GET, HEAD, POST, PATCH, DELETE, OPTIONS",
     {{{http::verb::get, Role::user, list_channels},
       {http::verb::post, Role::admin, create_channel},
       {http::verb::patch, Role::admin, update_channel},
       {http::verb::delete_, Role::admin, delete_channel}}}},
    {"/messages",
     "GET, HEAD, DELETE, OPTIONS",
     {{{http::verb::get, Role::admin, search_messages},
       {http::verb::delete_, Role::admin, delete_messages}}}},
    {"/users", "GET, HEAD, OPTIONS", {{{http::verb::get, Role::admin, search_users}}}},
    {"/users/ban",
     "POST, DELETE, OPTIONS",
     {{{http::verb::post, Role::admin, ban_user},
       {http::verb::delete_, Role::admin, pardon_user}}}},
    {"/users/bans", "GET, HEAD, OPTIONS", {{{http::verb::get, Role::admin, list_bans}}}},
    {"/activity/sessions",
     "GET, HEAD, OPTIONS",
     {{{http::verb::get, Role::admin, session_activity}}}},
    {"/activity/channels",
     "GET, HEAD, OPTIONS",
     {{{http::verb::get, Role::admin, channel_activity}}}},
    {"/ratelimits",
     "GET, HEAD, PATCH, OPTIONS",
     {{{http::verb::get, Role::admin, get_rate_limit},
       {http::verb::patch, Role::admin, set_rate_limit}}}},
}};

const Route* find_route(std::string_view path) {
  for (const auto& route : kRoutes) {
    if (route.path == path) return &route;
  }
  return nullptr;
}

const Method* find_method(const Route& route, http::verb verb) {
  if (verb == http::verb::head) verb = http::verb::get;
  for (const auto& method : route.methods) {
    if (method.handler && method.verb == verb) return &method;
  }
  return nullptr;
}

Response refused(const Request& request, const Refusal& refusal) {
  auto res = error_response(request, refusal.status, refusal.code, refusal.message);
  if (refusal.status == http::status::unauthorized) {
    res.set(http::field::www_authenticate, "Bearer");
  }
  return res;
}

}  // namespace

asio::awaitable<std::optional<Response>> RestApi::serve(const Request& request) {
  net::ServerContext& context = context_;
  const auto target = request.target();
  const Route* route = find_route(target.substr(0, target.find('?')));
  if (!route) co_return std::nullopt;
  const auto& settings = context.settings;
  if (request.method() == http::verb::options) {
    co_return preflight(settings, request, route->allow);
  }

  const Method* method = find_method(*route, request.method());
  if (!method) {
    auto res = error_response(request, http::status::method_not_allowed, "method_not_allowed",
                              "this route does not take that method");
    res.set(http::field::allow, route->allow);
    add_cors_headers(settings, request, res);
    co_return res;
  }
  auto access = co_await authenticate(context, request, method->role);
  if (const auto* refusal = std::get_if<Refusal>(&access)) {
    auto res = refused(request, *refusal);
    add_cors_headers(settings, request, res);
    co_return res;
  }
  const Call call{context, request, std::get<auth::Identity>(access)};
  Response res = co_await method->handler(call);
  add_cors_headers(settings, request, res);
  co_return res;
}

}  // namespace natter::api
