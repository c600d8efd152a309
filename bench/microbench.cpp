// natter-microbench: Google Benchmark timings of natter's hot pieces in isolation: protocol
// encode and parse, JWT verification per algorithm, the rate limiter, and a shard's fan-out
// (push into the inbox, drain to every connection). No sockets; run with --benchmark_filter.
#include <benchmark/benchmark.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/jwk.hpp"
#include "auth/jws.hpp"
#include "auth/key_set.hpp"
#include "auth/public_key.hpp"
#include "auth/token_signer.hpp"
#include "auth/token_verifier.hpp"
#include "cache/memory/memory_rate_limiter.hpp"
#include "chat/connection.hpp"
#include "chat/protocol.hpp"
#include "chat/shard.hpp"

namespace natter::bench {
namespace {

namespace json = boost::json;

chat::ChatMessage sample_message(std::size_t text_bytes) {
  chat::ChatMessage m;
  m.cache_id = 123456789;
  m.owner_id = "f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
  m.username = "alice";
  m.channel = "general";
  m.message = std::string(text_bytes, 'x');
  m.authored_at = chat::now_micros();
  return m;
}

void BM_EncodeChatMessage(benchmark::State& state) {
  const auto m = sample_message(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(chat::encode_chat_message(m));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeChatMessage)->Arg(32)->Arg(1024);

void BM_ParseRequest(benchmark::State& state) {
  const std::string text = R"({"type":"chat_message","channel":"general","message":")" +
                           std::string(static_cast<std::size_t>(state.range(0)), 'x') + R"("})";
  const chat::ProtocolLimits limits;
  for (auto _ : state) benchmark::DoNotOptimize(chat::parse_request(text, limits));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_ParseRequest)->Arg(32)->Arg(1024);

// --- JWT verification ---

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

Pkey from_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Pkey key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return key;
}

json::object claims() {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return json::object{{"sub", "f3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"},
                      {"preferred_username", "alice"},
                      {"azp", "ChatClient"},
                      {"iat", now},
                      {"exp", now + 3600},
                      {"realm_access", json::object{{"roles", json::array{"user"}}}}};
}

// A token of `alg` and a verifier trusting its key.
struct Signed {
  std::string token;
  std::shared_ptr<auth::KeySet> keys = std::make_shared<auth::KeySet>();
};

Signed signed_with(const std::string& alg) {
  Signed out;
  if (alg == "RS256" || alg == "ES256" || alg == "ES384") {
    auto signer = alg == "RS256"
                      ? auth::TokenSigner::generate_rs256("k1")
                      : auth::TokenSigner::from_private_pem(
                            to_pem(Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC",
                                                          alg == "ES256" ? "P-256" : "P-384"))
                                       .get()),
                            "k1");
    out.keys->put("k1", signer.public_key());
    out.token = signer.sign(claims());
    return out;
  }
  // PS256: TokenSigner signs RSA keys as RS256, so sign through the JWS layer directly.
  const std::string pem = auth::TokenSigner::generate_rs256("k1").private_pem();
  Pkey private_key = from_pem(pem);
  const json::object header{{"alg", alg}, {"typ", "JWT"}, {"kid", "k1"}};
  out.token = auth::sign_compact(*auth::find_algorithm(alg), private_key.get(), header, claims());
  out.keys->put("k1", auth::PublicKey::adopt(from_pem(pem).release(), alg));
  return out;
}

void BM_VerifyToken(benchmark::State& state, const std::string& alg) {
  const Signed s = signed_with(alg);
  const auth::TokenVerifier verifier(auth::VerifierSettings{}, s.keys);
  const auto now = std::chrono::system_clock::now();
  if (!verifier.verify(s.token, now).ok()) {
    state.SkipWithError("the token does not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(verifier.verify(s.token, now));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_VerifyToken, RS256, std::string("RS256"));
BENCHMARK_CAPTURE(BM_VerifyToken, PS256, std::string("PS256"));
BENCHMARK_CAPTURE(BM_VerifyToken, ES256, std::string("ES256"));
BENCHMARK_CAPTURE(BM_VerifyToken, ES384, std::string("ES384"));

// --- rate limiting ---

void BM_RateLimitAcquire(benchmark::State& state) {
  cache::MemoryRateLimiter limiter(chat::RateLimit{1'000'000'000, 1});
  std::vector<std::string> users;
  for (int i = 0; i < state.range(0); ++i) users.push_back("user-" + std::to_string(i));
  auto now = std::chrono::steady_clock::now();
  std::size_t i = 0;
  for (auto _ : state) {
    now += std::chrono::microseconds(1);
    benchmark::DoNotOptimize(limiter.acquire(users[i], now));
    if (++i == users.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RateLimitAcquire)->Arg(1)->Arg(1000);

// --- a shard's fan-out ---

class NullConnection final : public chat::Connection {
 public:
  void send(const chat::Frame& frame) override { benchmark::DoNotOptimize(frame.get()); }
  void close(chat::CloseCode, std::string_view) override {}
};

// Broadcasts `range(1)` frames per drain to `range(0)` connections; items = frames delivered.
void BM_ShardFanout(benchmark::State& state) {
  std::vector<std::function<void()>> posted;
  chat::Shard shard([&posted](std::function<void()> task) { posted.push_back(std::move(task)); });
  const auto connections = static_cast<std::uint64_t>(state.range(0));
  for (std::uint64_t id = 1; id <= connections; ++id) {
    shard.attach(id, "user-" + std::to_string(id), std::make_shared<NullConnection>(), {});
  }
  auto run_posted = [&posted] {
    auto tasks = std::move(posted);
    posted.clear();
    for (auto& task : tasks) task();
  };
  run_posted();
  const auto frame = chat::encode_chat_message(sample_message(32));
  const auto batch = state.range(1);
  for (auto _ : state) {
    for (std::int64_t b = 0; b < batch; ++b) shard.deliver_all(frame, chat::OutKind::chat_message);
    run_posted();
  }
  state.SetItemsProcessed(state.iterations() * batch * static_cast<std::int64_t>(connections));
}
BENCHMARK(BM_ShardFanout)->Args({1000, 1})->Args({1000, 16})->Args({10000, 1});

}  // namespace
}  // namespace natter::bench

BENCHMARK_MAIN();
