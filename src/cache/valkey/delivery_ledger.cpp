// The delivery ledger: one mutex over both kinds' highest delivered and unconfirmed messages,
// so an accept's reply and its delivery, on two threads, are ordered.
#include "cache/valkey/delivery_ledger.hpp"

#include <algorithm>

namespace natter::cache {

DeliveryLedger::DeliveryLedger(std::int64_t public_floor, std::int64_t private_floor) {
  public_.delivered = public_floor;
  private_.delivered = private_floor;
}

bool DeliveryLedger::deliver(Kind kind, std::int64_t cache_id, std::string_view entry) {
  std::lock_guard lock(mutex_);
  auto& k = of(kind);
  if (cache_id <= k.delivered) return false;
  k.delivered = cache_id;
  if (auto it = k.unconfirmed.find(cache_id);
      it != k.unconfirmed.end() && it->second.entry == entry) {
    k.unconfirmed.erase(it);
  }
  return true;
}

void DeliveryLedger::raise(Kind kind, std::int64_t cache_id) {
  std::lock_guard lock(mutex_);
  auto& k = of(kind);
  k.delivered = std::max(k.delivered, cache_id);
}

std::int64_t DeliveryLedger::delivered(Kind kind) const {
  std::lock_guard lock(mutex_);
  return of(kind).delivered;
}

std::int64_t DeliveryLedger::floor(Kind kind) const {
  std::lock_guard lock(mutex_);
  const auto& k = of(kind);
  return k.unconfirmed.empty() ? k.delivered : std::max(k.delivered, k.unconfirmed.rbegin()->first);
}

void DeliveryLedger::accepted(Unconfirmed message) {
  std::lock_guard lock(mutex_);
  auto& k = of(message.kind);
  if (message.cache_id <= k.delivered) return;  // its delivery came first
  k.unconfirmed.insert_or_assign(message.cache_id, std::move(message));
  if (k.unconfirmed.size() > unconfirmed_limit) k.unconfirmed.erase(k.unconfirmed.begin());
}

std::vector<DeliveryLedger::Unconfirmed> DeliveryLedger::unconfirmed() const {
  std::lock_guard lock(mutex_);
  std::vector<Unconfirmed> out;
  for (const auto* k : {&public_, &private_}) {
    for (const auto& [id, m] : k->unconfirmed) out.push_back(m);
  }
  return out;
}

chat::Acceptance::Refuse DeliveryLedger::settle(Kind kind, std::int64_t cache_id) {
  std::lock_guard lock(mutex_);
  auto& k = of(kind);
  auto it = k.unconfirmed.find(cache_id);
  if (it == k.unconfirmed.end()) return {};
  auto refuse = std::move(it->second.refuse);
  k.unconfirmed.erase(it);
  return refuse;
}

std::size_t DeliveryLedger::unconfirmed_count() const {
  std::lock_guard lock(mutex_);
  return public_.unconfirmed.size() + private_.unconfirmed.size();
}

}  // namespace natter::cache
