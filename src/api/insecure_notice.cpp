// The insecure-API warning's timer.
#include "api/insecure_notice.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>

namespace natter::api {
namespace asio = boost::asio;

namespace {

void warn() {
  spdlog::warn(
      "NATTER_API_INSECURE is on: the REST API serves anyone without a token as an admin; "
      "run it only on a private network, for OnRabble's dashboard");
}

asio::awaitable<void> every_period(asio::io_context& io,
                                   std::chrono::steady_clock::duration every) {
  asio::steady_timer timer(io);
  for (;;) {
    timer.expires_after(every);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    warn();
  }
}

}  // namespace

void warn_while_insecure(asio::io_context& io, std::chrono::steady_clock::duration every) {
  warn();
  asio::co_spawn(io, every_period(io, every), asio::detached);
}

}  // namespace natter::api
