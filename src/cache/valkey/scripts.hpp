// The Lua scripts natter runs inside Valkey, each atomic. Called by EVALSHA with the SHA-1
// computed here; a NOSCRIPT answer (a restarted or flushed Valkey) is retried as EVAL, which
// loads the script again.
#pragma once

#include <string>
#include <vector>

#include "cache/valkey/connection.hpp"

namespace natter::cache {

struct Script {
  std::string source;
  std::string sha1;  // hex
};

// Accepts a message: checks the sender's rate limit (a sliding log per user, the limit from
// natter:rate or the defaults given), assigns the next cacheID of its kind (never at or below
// the floor given), appends it to the recent list(s) and the flush queue, and publishes it.
// ARGV: kind (p|q), sender id, floor, default limit, default window (s), body, recipient id.
// Returns {1, cacheID} or {0, retry_after_ms}.
const Script& accept_script();
// Puts back a message Valkey answered as accepted but that never came back through the
// subscription (Valkey restarted between its reply and its publish, losing both): with the same
// cacheID and entry, into the recent list(s), the flush queue and the bus, unless the recent list
// already holds it or the counter has since passed it (that cacheID may be another's now).
// ARGV: kind (p|q), cacheID, entry, sender id, recipient id. Returns 1 (put back), 0 (held
// already: it is delivered from there) or -1 (too late: the message is lost).
const Script& restore_script();
// Forgets public messages from the recent list. ARGV: cacheIDs. Returns how many were held.
const Script& remove_script();
// Removes instances whose heartbeat key expired, and publishes `g` for each. Returns them.
const Script& reap_script();
// The flush lock: take or extend it (ARGV: owner, ttl ms; returns 1 when held), trim a flushed
// batch while holding it (ARGV: owner, count, ttl ms), release it (ARGV: owner).
const Script& lock_script();
const Script& trim_script();
const Script& unlock_script();

Command evalsha(const Script& script, std::vector<std::string> args);
// The same call as EVAL (after NOSCRIPT).
Command eval(const Script& script, std::vector<std::string> args);
bool is_noscript(const Reply& reply);

}  // namespace natter::cache
