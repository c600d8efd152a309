// The /metrics response and the dedicated metrics listener.
#include "net/metrics_endpoint.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/http_reply.hpp"
#include "net/listener.hpp"

namespace natter::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Requests on one metrics connection; a scrape is small, so the limits are too.
asio::awaitable<void> serve_metrics(const metrics::Metrics& metrics, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(4096);
    parser.header_limit(8 * 1024);
    stream.expires_after(std::chrono::seconds(10));
    auto [ec, n] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const Request request = parser.release();
    const auto target = request.target();
    const auto path = target.substr(0, target.find('?'));
    const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
    Response res;
    if (path != "/metrics") {
      res = error_response(request, http::status::not_found, "not_found", "no such route");
    } else if (!get) {
      res = error_response(request, http::status::method_not_allowed, "method_not_allowed",
                           "method not allowed");
      res.set(http::field::allow, "GET, HEAD");
    } else {
      res = metrics_response(metrics, request);
    }
    if (request.method() == http::verb::head) res.body().clear();
    const bool keep_alive = res.keep_alive();
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !keep_alive) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

}  // namespace

Response metrics_response(const metrics::Metrics& metrics, const Request& request) {
  Response res{http::status::ok, request.version()};
  res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(request.keep_alive());
  res.body() = metrics.scrape();
  res.prepare_payload();
  return res;
}

MetricsListener::MetricsListener(asio::io_context& ioc, const metrics::Metrics& metrics)
    : ioc_(ioc), metrics_(metrics), acceptor_(ioc) {}

void MetricsListener::bind(const std::string& host, std::uint16_t port) {
  listen_on(acceptor_, "NATTER_METRICS_LISTEN", host, port,
            asio::socket_base::max_listen_connections);
}

tcp::endpoint MetricsListener::local_endpoint() const { return acceptor_.local_endpoint(); }

void MetricsListener::start() {
  auto place = [this] { return Placement{ioc_, 0}; };
  auto serve = [this](tcp::socket socket, std::size_t) {
    asio::co_spawn(ioc_, serve_metrics(metrics_, std::move(socket)), asio::detached);
  };
  asio::co_spawn(ioc_, accept_until_closed(acceptor_, std::move(place), std::move(serve)),
                 asio::detached);
}

void MetricsListener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace natter::net
