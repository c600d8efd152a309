// Flush throughput of the durable stores: inserts batches of 500 public messages, one
// insert_messages call (one transaction) per batch, the way the cache flusher does, and prints
// messages per second. Not a test. Usage: bench_store [batches] (PostgreSQL when
// NATTER_TEST_DATABASE_URL is set, e.g. scripts/with-postgres build/release/.../bench_store).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "chat/store.hpp"
#include "store/open_store.hpp"

namespace {

constexpr std::size_t kBatchSize = 500;

int run(const std::string& label, const std::string& url, int batches) {
  auto opened = natter::store::open_store(url);
  if (!opened) {
    std::fprintf(stderr, "%s: %s\n", label.c_str(), opened.error().message.c_str());
    return 1;
  }
  auto& store = **opened;
  auto stored = store.stored_ids();
  std::int64_t next = stored ? stored->max_public_cache_id + 1 : 1;
  const std::string text = "a typical chat line of some sixty bytes, with a few words in it";
  std::vector<natter::chat::ChatMessage> batch(kBatchSize);
  const auto started = std::chrono::steady_clock::now();
  for (int b = 0; b < batches; ++b) {
    for (auto& m : batch) {
      m = natter::chat::ChatMessage{
          std::nullopt, next, "user-" + std::to_string(next % 97), "someone",
          "general",    text, natter::chat::now_micros()};
      ++next;
    }
    auto outcome = store.insert_messages(batch, {});
    if (!outcome) {
      std::fprintf(stderr, "%s: %s\n", label.c_str(), outcome.error().message.c_str());
      return 1;
    }
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  const double messages = static_cast<double>(batches) * kBatchSize;
  std::printf("%-10s %8.0f messages in %6.3f s: %9.0f messages/s (%.2f ms per batch of %zu)\n",
              label.c_str(), messages, elapsed.count(), messages / elapsed.count(),
              elapsed.count() * 1000 / batches, kBatchSize);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int batches = argc > 1 ? std::atoi(argv[1]) : 100;
  const auto dir = std::filesystem::temp_directory_path() / "natter-bench-store";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  int failures = run("sqlite", "sqlite:" + (dir / "bench.db").string(), batches);
  std::filesystem::remove_all(dir);
  failures += run("memory", "memory:", batches);
  if (const char* url = std::getenv("NATTER_TEST_DATABASE_URL"); url != nullptr && *url != '\0') {
    failures += run("postgres", url, batches);
  } else {
    std::printf("postgres   skipped: NATTER_TEST_DATABASE_URL is not set\n");
  }
  return failures == 0 ? 0 : 1;
}
