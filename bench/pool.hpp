// natter-bench's threads: one io_context per thread, each run by its own thread, so the many
// connections living on a thread need no locks. The controlling (main) thread only posts work
// to them and watches atomics.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace natter::bench {

class Pool {
 public:
  explicit Pool(std::size_t threads);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& context(std::size_t thread) { return *contexts_[thread]; }
  // Runs `task(thread)` on every thread and waits until all have run it.
  void on_each(const std::function<void(std::size_t)>& task);
  // Lets the io_contexts finish what is queued, then joins the threads (stops them after
  // `grace` if work remains).
  void stop(std::chrono::milliseconds grace);

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace natter::bench
