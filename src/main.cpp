// natter's entry point: reads the settings, builds the components and wires them together.
// Nothing here but wiring.
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "auth/jwks_client.hpp"
#include "auth/key_set.hpp"
#include "auth/token_signer.hpp"
#include "auth/token_verifier.hpp"
#include "cache/memory/memory_message_cache.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "chat/hub.hpp"
#include "config/settings.hpp"
#include "net/server.hpp"
#include "net/server_context.hpp"

namespace {

std::string random_id() {
  std::random_device rd;
  std::uniform_int_distribution<std::uint32_t> dist;
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:08x}{:04x}", dist(rd), dist(rd) & 0xffff,
                     dist(rd) & 0xfff, (dist(rd) & 0x3fff) | 0x8000, dist(rd), dist(rd) & 0xffff);
}

int run(const natter::config::Settings& settings) {
  using namespace natter;
  auto keys = std::make_shared<auth::KeySet>();
  std::unique_ptr<auth::JwksClient> jwks;
  std::optional<auth::TokenSigner> dev_signer;
  if (settings.dev) {
    dev_signer.emplace(auth::TokenSigner::generate_rs256("natter-dev"));
    keys->put(dev_signer->kid(), dev_signer->public_key());
    spdlog::warn("development mode: natter signs its own tokens (GET /dev/token on loopback)");
  }
  if (!settings.jwks_url.empty() || !settings.oidc_issuer.empty()) {
    if (!settings.dev) {
      jwks = std::make_unique<auth::JwksClient>(
          auth::JwksSettings{settings.jwks_url, settings.oidc_issuer, settings.jwks_refresh,
                             settings.jwks_min_refetch, std::chrono::seconds(5)},
          keys);
      jwks->start();
    }
  }

  auth::VerifierSettings verifier_settings;
  verifier_settings.issuer = settings.dev ? std::string() : settings.oidc_issuer;
  verifier_settings.audiences = settings.audiences;
  verifier_settings.allowed_clients = settings.allowed_clients;
  verifier_settings.admin_role = settings.admin_role;
  verifier_settings.role_claim = settings.role_claim;
  verifier_settings.leeway = settings.token_leeway;
  auth::TokenVerifier verifier(verifier_settings, keys);

  std::vector<chat::Channel> channels;
  for (const auto& name : settings.channels) {
    channels.push_back(chat::Channel{static_cast<std::int64_t>(channels.size() + 1), name, {}, 0});
  }
  cache::MemoryMessageCache message_cache;
  cache::MemoryRateLimiter limiter(
      chat::RateLimit{settings.rate_limit_messages, settings.rate_limit_window_seconds});

  const std::size_t threads =
      settings.threads ? settings.threads : std::max(1u, std::thread::hardware_concurrency());
  net::Shards shards(threads);
  chat::Hub hub(chat::HubSettings{}, channels, message_cache, limiter, shards.hub_shards());

  net::ServerContext context{settings, {}, hub, shards.contexts(), verifier, jwks.get(),
                             dev_signer ? &*dev_signer : nullptr, random_id()};
  context.protocol_limits.max_message_bytes = settings.limits.max_message_bytes;

  net::Server server(context, shards);
  server.bind();
  auto endpoint = server.local_endpoint();
  spdlog::info("natter listening on {}:{} with {} shards", endpoint.address().to_string(),
               endpoint.port(), threads);
  return server.run();
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("natter");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  try {
    auto settings = natter::config::load_settings(argc, argv);
    if (!settings) return 0;
    spdlog::set_level(spdlog::level::from_str(settings->log_level));
    return run(*settings);
  } catch (const natter::config::ConfigError& e) {
    std::fprintf(stderr, "natter: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "natter: %s\n", e.what());
    return 1;
  }
}
