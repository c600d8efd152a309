// natter's entry point: reads the settings, builds the components and wires them together.
// Nothing here but wiring.
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <thread>

#include "api/analytics_feed.hpp"
#include "api/api.hpp"
#include "api/insecure_notice.hpp"
#include "auth/dev_key.hpp"
#include "auth/jwks_client.hpp"
#include "auth/key_set.hpp"
#include "auth/token_signer.hpp"
#include "auth/token_verifier.hpp"
#include "cache/memory/memory_message_cache.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "cache/valkey/flusher.hpp"
#include "cache/valkey/valkey_bus.hpp"
#include "chat/embedded_acceptance.hpp"
#include "chat/hub.hpp"
#include "chat/moderation.hpp"
#include "chat/start_state.hpp"
#include "common/limits.hpp"
#include "common/logging.hpp"
#include "common/worker_pool.hpp"
#include "config/settings.hpp"
#include "metrics/metrics.hpp"
#include "net/server.hpp"
#include "net/server_context.hpp"
#include "store/backup.hpp"
#include "store/open_store.hpp"
#include "web/asset.hpp"
#include "web/page_policy.hpp"
#include "web/static_files.hpp"

namespace {

// A name for this process on the bus: unique among instances, new on every start.
std::string random_instance_id() {
  std::random_device random;
  return fmt::format("{:08x}{:08x}", random(), random());
}

int run(const natter::config::Settings& settings) {
  using namespace natter;
  metrics::Metrics metrics;
  auto keys = std::make_shared<auth::KeySet>();
  std::unique_ptr<auth::JwksClient> jwks;
  std::optional<auth::TokenSigner> dev_signer;
  if (settings.dev) {
    dev_signer.emplace(auth::dev_signer(settings.dev_key));
    keys->put(dev_signer->kid(), dev_signer->public_key());
    spdlog::warn("development mode: natter signs its own tokens (GET /dev/token on loopback)");
  }
  if (!settings.jwks_url.empty() || !settings.oidc_issuer.empty()) {
    if (!settings.dev) {
      jwks = std::make_unique<auth::JwksClient>(
          auth::JwksSettings{settings.jwks_url, settings.oidc_issuer, settings.jwks_refresh,
                             settings.jwks_min_refetch, std::chrono::seconds(5),
                             [&metrics](bool fetched) { metrics.jwks_fetch(fetched); }},
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

  // What lasts: open the store, apply migrations, and read what the hub starts from.
  auto opened = store::open_store(settings.database_url);
  if (!opened) {
    throw std::runtime_error("NATTER_DATABASE_URL: " + opened.error().message);
  }
  chat::Store& store = **opened;
  const chat::RateLimit rate_seed{settings.rate_limit_messages, settings.rate_limit_window_seconds};
  const auto start = chat::read_start_state(
      store, chat::StartSettings{.channels = settings.channels,
                                 .rate_limit_seed = rate_seed,
                                 .server_name = settings.server_name,
                                 .single_instance = settings.valkey_url.empty()});

  cache::MemoryMessageCache message_cache(
      cache::MemoryCacheLimits{.recent_private_per_user = settings.limits.private_replay},
      start.ids.max_public_cache_id, start.ids.max_private_cache_id);
  message_cache.refill(store);
  cache::MemoryRateLimiter limiter(start.rate_limit);

  const std::size_t threads =
      settings.threads ? settings.threads : std::max(1u, std::thread::hardware_concurrency());
  net::Shards shards(threads, metrics);
  chat::EmbeddedAcceptance embedded(limiter, message_cache, store, 100000, metrics);
  WorkerPool workers(settings.store_threads, 10000);
  // With Valkey, messages are accepted, published and queued there, then flushed to the store;
  // without it the store is the queue.
  std::unique_ptr<cache::ValkeyBus> bus;
  std::unique_ptr<cache::Flusher> flusher;
  const std::string instance = random_instance_id();
  if (!settings.valkey_url.empty()) {
    std::string why;
    auto address = cache::parse_valkey_url(settings.valkey_url, why);
    bus = std::make_unique<cache::ValkeyBus>(cache::ValkeyBusSettings{
        *address, instance, settings.presence_timeout, settings.valkey_pipeline, start.rate_limit,
        start.ids.max_public_cache_id, start.ids.max_private_cache_id,
        chat::rate_limit_reader(store, rate_seed),
        [&store, &workers](const std::string& gone) {
          workers.submit([&store, gone] {
            if (auto closed = store.close_open_sessions(chat::now_micros(), gone); !closed) {
              spdlog::warn("store: could not close the sessions of instance {}: {}", gone,
                           closed.error().message);
            }
          });
        },
        [&metrics](auto took, bool ok) { metrics.cache_call(took, ok); }});
    flusher = std::make_unique<cache::Flusher>(cache::FlusherSettings{*address, instance}, store,
                                               [&metrics](const cache::FlushStats& s) {
                                                 metrics.flush_batch(s.batch);
                                                 metrics.flush_queue_depth(s.remaining);
                                               });
  }
  chat::Acceptance& acceptance = bus ? static_cast<chat::Acceptance&>(*bus) : embedded;
  chat::Hub hub(chat::HubSettings{.max_replay = settings.limits.max_replay}, start.channels,
                message_cache, acceptance, shards.hub_shards(), metrics, bus.get(),
                shards.later(0));
  if (bus) {
    if (!bus->start(hub, limiter, message_cache, std::chrono::seconds(10))) {
      throw std::runtime_error("NATTER_VALKEY_URL: cannot reach Valkey at " +
                               config::redact_url(settings.valkey_url));
    }
    flusher->start();
    spdlog::info("valkey: instance {} on {}", instance, config::redact_url(settings.valkey_url));
  } else {
    embedded.start(hub);
  }
  chat::Moderation moderation(store, hub);

  std::optional<web::StaticFiles> web_app;
  if (settings.web) {
    auto policy = web::content_security_policy(settings.oidc_issuer, settings.public_url);
    if (!settings.web_root.empty()) {
      try {
        web_app.emplace(std::filesystem::path(settings.web_root), std::move(policy));
      } catch (const std::invalid_argument& e) {
        throw config::ConfigError(fmt::format("NATTER_WEB_ROOT (--web-root): {}", e.what()));
      }
      spdlog::info("web app served from {}", settings.web_root);
    } else {
      web_app.emplace(web::embedded_assets(), std::move(policy));
      if (!web_app->has_index()) spdlog::info("web app: none built into this binary");
    }
  }

  net::ServerContext context{
      .settings = settings,
      .protocol_limits = {.max_message_bytes = settings.limits.max_message_bytes},
      .hub = hub,
      .tokens = {.verifier = verifier, .jwks = jwks.get()},
      .dev_signer = dev_signer ? &*dev_signer : nullptr,
      .server_id = start.identity.id,
      .instance_id = instance,
      .store = store,
      .workers = workers,
      .moderation = moderation,
      .cache = message_cache,
      .limiter = limiter,
      .metrics = metrics,
      .keys = keys.get(),
      .trusted_proxies = net::TrustedProxies(settings.trusted_proxies),
      .bus = bus.get(),
      .cache_ready = bus ? std::function<bool()>([&bus] { return bus->healthy(); }) : nullptr,
      .web = web_app ? &*web_app : nullptr,
  };

  api::RestApi rest(context);
  api::AnalyticsFeed analytics(context, shards.context(0));
  analytics.start();
  if (settings.api_insecure) api::warn_while_insecure(shards.context(0));

  net::Server server(context, shards, rest);
  server.on_hangup([&jwks] {
    if (jwks) jwks->reload();
  });
  server.bind();
  auto endpoint = server.local_endpoint();
  spdlog::info("{} listening on {}:{} with {} shards, store {}", config::version_text(),
               endpoint.address().to_string(), endpoint.port(), threads,
               config::redact_url(settings.database_url));
  if (auto scrape = server.metrics_endpoint()) {
    spdlog::info("metrics on {}:{}/metrics", scrape->address().to_string(), scrape->port());
  }
  const int code = server.run();
  // Everything accepted is committed (or flushed from Valkey), and every session recorded,
  // before exit.
  if (bus) {
    bus->stop();
    flusher->stop(std::chrono::seconds(5));
  }
  embedded.stop();
  workers.stop();
  return code;
}

// natter backup DEST [--SETTING VALUE]...: a consistent copy of the SQLite store, while natter
// runs or not.
int backup(int argc, char** argv) {
  using namespace natter;
  if (argc < 3 || std::string_view(argv[2]).starts_with("--")) {
    std::fprintf(stderr, "natter: usage: natter backup DEST [--database-url sqlite:PATH]\n");
    return 2;
  }
  const std::string dest = argv[2];
  std::vector<char*> rest{argv[0]};
  for (int i = 3; i < argc; ++i) rest.push_back(argv[i]);
  auto settings = config::load_settings(static_cast<int>(rest.size()), rest.data(), false);
  if (!settings) return 0;
  if (auto done = store::backup(settings->database_url, dest); !done) {
    std::fprintf(stderr, "natter: backup: %s\n", done.error().message.c_str());
    return done.error().kind == Error::Kind::invalid ? 2 : 1;
  }
  std::printf("natter: backed up %s to %s\n", config::redact_url(settings->database_url).c_str(),
              dest.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("natter");
  spdlog::set_default_logger(logger);
  natter::configure_logging("human", "info");
  try {
    if (argc >= 2 && std::string_view(argv[1]) == "backup") return backup(argc, argv);
    auto settings = natter::config::load_settings(argc, argv);
    if (!settings) return 0;
    natter::configure_logging(settings->log_format, settings->log_level);
    for (const auto& warning : settings->warnings) spdlog::warn("{}", warning);
    return run(*settings);
  } catch (const natter::config::ConfigError& e) {
    std::fprintf(stderr, "natter: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "natter: %s\n", e.what());
    return 1;
  }
}
