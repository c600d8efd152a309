// Starting, using and stopping natter-bench's io_context threads.
#include "pool.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <latch>

namespace natter::bench {

Pool::Pool(std::size_t threads) {
  for (std::size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  for (auto& context : contexts_) {
    threads_.emplace_back([io = context.get()] { io->run(); });
  }
}

Pool::~Pool() { stop(std::chrono::milliseconds(0)); }

void Pool::on_each(const std::function<void(std::size_t)>& task) {
  std::latch done(static_cast<std::ptrdiff_t>(contexts_.size()));
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    boost::asio::post(*contexts_[i], [&task, &done, i] {
      task(i);
      done.count_down();
    });
  }
  done.wait();
}

void Pool::stop(std::chrono::milliseconds grace) {
  for (auto& guard : guards_) guard.reset();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& context : contexts_) {
    while (!context->stopped() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    context->stop();
  }
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace natter::bench
