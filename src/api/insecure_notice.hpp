// While NATTER_API_INSECURE is on, says so in the log: at start-up and every hour, so an
// operator reading any hour of the log sees that the REST API is open to anyone who reaches it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace natter::api {

// Logs the warning now and every `every` on `io` (until `io` stops).
void warn_while_insecure(boost::asio::io_context& io,
                         std::chrono::steady_clock::duration every = std::chrono::hours(1));

}  // namespace natter::api
