// GET /metrics: the Prometheus text exposition of metrics::Metrics, served on the main listener
// or, with NATTER_METRICS_LISTEN, by a listener of its own that serves nothing else (so the
// scrape port can stay on a private interface). Knows nothing of the chat or the API.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string>

#include "metrics/metrics.hpp"

namespace natter::net {

// The 200 answer to GET or HEAD /metrics.
boost::beast::http::response<boost::beast::http::string_body> metrics_response(
    const metrics::Metrics& metrics,
    const boost::beast::http::request<boost::beast::http::string_body>& request);

// A listener of its own for /metrics; every other path is 404. Runs on one io_context.
class MetricsListener {
 public:
  MetricsListener(boost::asio::io_context& ioc, const metrics::Metrics& metrics);
  // Binds; throws naming NATTER_METRICS_LISTEN when the address is unusable.
  void bind(const std::string& host, std::uint16_t port);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Accepts (a coroutine on the io_context) until close().
  void start();
  void close();

 private:
  boost::asio::io_context& ioc_;
  const metrics::Metrics& metrics_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace natter::net
