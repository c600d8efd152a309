// Keeps the KeySet filled from the identity provider: the JWKS URL directly, or found through
// the issuer's /.well-known/openid-configuration. Runs libcurl on its own thread so no network
// thread ever waits on the provider; the last good key set stays while the provider is down.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "auth/key_set.hpp"

namespace natter::auth {

struct JwksSettings {
  std::string jwks_url;  // used as is when set
  std::string issuer;    // else its discovery document names the jwks_uri
  std::chrono::seconds refresh_interval{300};
  std::chrono::seconds min_refetch_interval{30};  // unknown-kid refetches at most this often
  std::chrono::seconds http_timeout{5};
  // Told of every fetch's outcome, on the client's thread (for metrics); may be empty.
  std::function<void(bool fetched)> on_fetch;
};

class JwksClient {
 public:
  JwksClient(JwksSettings settings, std::shared_ptr<KeySet> keys);
  ~JwksClient();  // stops and joins the thread
  JwksClient(const JwksClient&) = delete;
  JwksClient& operator=(const JwksClient&) = delete;

  // Starts the thread: one fetch at once, then every refresh_interval (sooner, with backoff,
  // while fetches fail).
  void start();

  // A token named a kid we do not have. Never blocks. `done` runs on the client's thread
  // after a fetch completes (true if it succeeded), or at once with false when a fetch is
  // throttled by min_refetch_interval and none is pending.
  void refetch(std::function<void(bool fetched)> done);
  // Fetches now, whatever the throttle says (an operator asked, with SIGHUP). Never blocks.
  void reload();

 private:
  void run();
  bool fetch_once();
  bool fetch_and_report();

  JwksSettings settings_;
  std::shared_ptr<KeySet> keys_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool refetch_wanted_ = false;
  std::vector<std::function<void(bool)>> waiters_;
  std::chrono::steady_clock::time_point last_refetch_{};
  std::string jwks_url_;  // resolved from discovery when only the issuer is set
  std::thread thread_;
};

}  // namespace natter::auth
