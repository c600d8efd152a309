// A few threads for work that may block (store calls), so the IO shards never do. Tasks run
// in submission order per thread, not globally; results travel back by whatever the task
// does (net posts them to the caller's executor).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace natter {

class WorkerPool {
 public:
  // max_queued bounds the backlog: past it submit() refuses, so a stuck database cannot
  // make memory grow without bound.
  WorkerPool(std::size_t threads, std::size_t max_queued);
  ~WorkerPool();  // runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the backlog is full or the pool is stopping; the task is then not run.
  bool submit(std::function<void()> task);
  void stop();

 private:
  void run();

  std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace natter
