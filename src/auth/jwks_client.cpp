// Fetches the provider's JWKS with libcurl on a thread of its own: once at start, then every
// refresh_interval, sooner (backing off from 1 s to 30 s) while failing, and on demand for an
// unknown kid, at most once per min_refetch_interval. A failed fetch keeps the last good set.
#include "auth/jwks_client.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <exception>
#include <optional>

namespace natter::auth {
namespace {

constexpr std::size_t kMaxResponseBytes = 1 << 20;  // a JWKS is a few KiB; bounds memory
constexpr std::chrono::seconds kFirstRetry{1};
constexpr std::chrono::seconds kMaxRetry{30};
constexpr long kMaxRedirects = 3;

struct CurlFree {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Transfer {
  std::string body;
  bool too_large = false;
};

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->body.size() + bytes > kMaxResponseBytes) {
    transfer->too_large = true;
    return 0;  // makes curl fail the transfer
  }
  transfer->body.append(data, bytes);
  return bytes;
}

// Aborts a transfer (returns non-zero) once the client is stopping.
int on_progress(void* should_stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(should_stop))() ? 1 : 0;
}

// GET `url`, following redirects only within the same scheme; the body of a 200 response.
std::optional<std::string> http_get(const std::string& url, std::chrono::seconds timeout,
                                    const std::function<bool()>& should_stop) {
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  std::unique_ptr<curl_slist, SlistFree> headers(
      curl_slist_append(nullptr, "Accept: application/json"));
  if (!curl || !headers) {
    spdlog::warn("auth: cannot create a libcurl handle");
    return std::nullopt;
  }
  const bool https = url.rfind("https://", 0) == 0;
  const long timeout_ms =
      static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  Transfer transfer;
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(handle, CURLOPT_MAXREDIRS, kMaxRedirects);
  curl_easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http");
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxResponseBytes));
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "natter");
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(handle, CURLOPT_XFERINFODATA, &should_stop);

  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    spdlog::warn("auth: GET {} failed: {}", url,
                 transfer.too_large ? "response over 1 MiB" : curl_easy_strerror(code));
    return std::nullopt;
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    spdlog::warn("auth: GET {} answered HTTP {}", url, status);
    return std::nullopt;
  }
  return std::move(transfer.body);
}

void call_all(std::vector<std::function<void(bool)>>& waiters, bool fetched) {
  for (auto& done : waiters) {
    try {
      done(fetched);
    } catch (const std::exception& e) {
      spdlog::error("auth: JWKS refetch callback threw: {}", e.what());
    }
  }
  waiters.clear();
}

}  // namespace

JwksClient::JwksClient(JwksSettings settings, std::shared_ptr<KeySet> keys)
    : settings_(std::move(settings)), keys_(std::move(keys)), jwks_url_(settings_.jwks_url) {
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

JwksClient::~JwksClient() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  call_all(waiters_, false);  // only when the thread never started
}

void JwksClient::start() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
  }
}

void JwksClient::refetch(std::function<void(bool fetched)> done) {
  std::unique_lock lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  const bool throttled = last_refetch_ != std::chrono::steady_clock::time_point{} &&
                         now - last_refetch_ < settings_.min_refetch_interval;
  if (stopping_ || (throttled && !refetch_wanted_)) {
    lock.unlock();
    done(false);
    return;
  }
  waiters_.push_back(std::move(done));
  if (!refetch_wanted_) {
    refetch_wanted_ = true;
    last_refetch_ = now;
  }
  lock.unlock();
  wake_.notify_one();
}

void JwksClient::reload() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    refetch_wanted_ = true;
  }
  wake_.notify_one();
}

void JwksClient::run() {
  auto retry = kFirstRetry;
  bool fetched = fetch_and_report();
  std::vector<std::function<void(bool)>> waiters;
  while (true) {
    {
      // Whoever asked while that fetch ran gets its result.
      std::lock_guard lock(mutex_);
      if (refetch_wanted_) {
        refetch_wanted_ = false;
        waiters.swap(waiters_);
      }
    }
    call_all(waiters, fetched);

    const auto wait = fetched ? settings_.refresh_interval
                              : std::min<std::chrono::seconds>(retry, settings_.refresh_interval);
    retry = fetched ? kFirstRetry : std::min<std::chrono::seconds>(retry * 2, kMaxRetry);
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, wait, [this] { return stopping_ || refetch_wanted_; });
      if (stopping_) {
        waiters.swap(waiters_);
        break;
      }
    }
    fetched = fetch_and_report();
  }
  call_all(waiters, false);
}

bool JwksClient::fetch_and_report() {
  const bool fetched = fetch_once();
  if (settings_.on_fetch) settings_.on_fetch(fetched);
  return fetched;
}

bool JwksClient::fetch_once() {
  const std::function<bool()> should_stop = [this] {
    std::lock_guard lock(mutex_);
    return stopping_;
  };
  if (jwks_url_.empty()) {
    if (settings_.issuer.empty()) {
      spdlog::warn("auth: neither a JWKS URL nor an issuer is configured");
      return false;
    }
    std::string discovery = settings_.issuer;
    while (!discovery.empty() && discovery.back() == '/') {
      discovery.pop_back();
    }
    discovery += "/.well-known/openid-configuration";
    const auto body = http_get(discovery, settings_.http_timeout, should_stop);
    if (!body) {
      return false;
    }
    boost::system::error_code ec;
    const boost::json::value document = boost::json::parse(*body, ec);
    const boost::json::value* uri = nullptr;
    if (!ec && document.is_object()) {
      uri = document.get_object().if_contains("jwks_uri");
    }
    if (!uri || !uri->is_string() || uri->get_string().empty()) {
      spdlog::warn("auth: {} names no jwks_uri", discovery);
      return false;
    }
    jwks_url_ = uri->get_string();
  }
  const auto body = http_get(jwks_url_, settings_.http_timeout, should_stop);
  if (!body) {
    spdlog::warn("auth: keeping the last key set ({} keys)", keys_->size());
    return false;
  }
  const int loaded = keys_->load_jwks(*body);
  if (loaded < 0) {
    spdlog::warn("auth: {} is not a JWKS; keeping the last key set", jwks_url_);
    return false;
  }
  spdlog::info("auth: loaded {} signing keys from {}", loaded, jwks_url_);
  return true;
}

}  // namespace natter::auth
