// The REST route handlers, one group per file (channels, messages, users and bans, activity,
// rate limits). Each is called with an authenticated caller of the right role and answers
// every outcome itself; api.cpp owns paths, methods, CORS and authentication.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "api/api.hpp"
#include "auth/identity.hpp"

namespace natter::api {

struct Call {
  net::ServerContext& context;
  const Request& request;
  const auth::Identity& caller;
};

using Handler = boost::asio::awaitable<Response> (*)(Call call);

// channels_routes.cpp
boost::asio::awaitable<Response> list_channels(Call call);
boost::asio::awaitable<Response> create_channel(Call call);
boost::asio::awaitable<Response> update_channel(Call call);  // rename/describe or reorder
boost::asio::awaitable<Response> delete_channel(Call call);

// messages_routes.cpp
boost::asio::awaitable<Response> search_messages(Call call);
boost::asio::awaitable<Response> delete_messages(Call call);

// users_routes.cpp
boost::asio::awaitable<Response> search_users(Call call);
boost::asio::awaitable<Response> ban_user(Call call);
boost::asio::awaitable<Response> pardon_user(Call call);
boost::asio::awaitable<Response> list_bans(Call call);

// activity_routes.cpp
boost::asio::awaitable<Response> session_activity(Call call);
boost::asio::awaitable<Response> channel_activity(Call call);

// ratelimit_routes.cpp
boost::asio::awaitable<Response> get_rate_limit(Call call);
boost::asio::awaitable<Response> set_rate_limit(Call call);

}  // namespace natter::api
