// The Lua scripts' sources, with their keys filled in and their SHA-1s computed once.
#include "cache/valkey/scripts.hpp"

#include <string_view>
#include <utility>

#include "auth/digest.hpp"
#include "cache/valkey/keys.hpp"
#include "common/limits.hpp"

namespace natter::cache {
namespace {

// The script with each @name@ replaced by its key from keys.hpp, quoted for Lua.
std::string with_keys(std::string source) {
  const std::pair<std::string_view, const std::string*> names[] = {
      {"@bus@", &keys::bus},
      {"@recent_public@", &keys::recent_public},
      {"@recent_private@", &keys::recent_private},
      {"@instances@", &keys::instances},
      {"@rate@", &keys::rate},
      {"@rate_log@", &keys::rate_log},
      {"@ids@", &keys::ids},
      {"@flush@", &keys::flush},
      {"@flush_lock@", &keys::flush_lock},
      {"@alive@", &keys::alive},
      {"@presence@", &keys::presence}};
  const std::string replay = std::to_string(Limits::public_replay);
  for (auto at = source.find("@public_replay@"); at != std::string::npos;
       at = source.find("@public_replay@", at)) {
    source.replace(at, std::string_view("@public_replay@").size(), replay);
  }
  for (const auto& [name, key] : names) {
    for (auto at = source.find(name); at != std::string::npos; at = source.find(name, at)) {
      source.replace(at, name.size(), "'" + *key + "'");
    }
  }
  return source;
}

Script make(std::string source) {
  Script script{with_keys(std::move(source)), {}};
  script.sha1 = auth::sha1_hex(script.source);
  return script;
}

Command call(const std::string& verb, const std::string& what, std::vector<std::string> args) {
  Command command{verb, what, "0"};
  command.insert(command.end(), std::make_move_iterator(args.begin()),
                 std::make_move_iterator(args.end()));
  return command;
}

// Lua shared by the accept and restore scripts: an accepted entry into the recent list(s), the
// flush queue and the bus.
constexpr std::string_view keep_entry = R"lua(
local function keep(kind, entry, sender, recipient)
  if kind == 'p' then
    redis.call('RPUSH', @recent_public@, entry)
    redis.call('LTRIM', @recent_public@, -@public_replay@, -1)
  else
    local owners = {sender}
    if recipient ~= sender then owners[2] = recipient end
    for _, who in ipairs(owners) do
      local key = @recent_private@ .. who
      redis.call('RPUSH', key, entry)
      redis.call('LTRIM', key, -200, -1)
    end
  end
  redis.call('RPUSH', @flush@, entry)
  redis.call('PUBLISH', @bus@, entry)
end
)lua";

}  // namespace

const Script& accept_script() {
  static const Script script = make(std::string(keep_entry) + R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = redis.call('HMGET', @rate@, 'limit', 'window')
local limit = tonumber(rate[1]) or tonumber(ARGV[4])
local window = (tonumber(rate[2]) or tonumber(ARGV[5])) * 1000
local log = @rate_log@ .. ARGV[2]
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
if redis.call('ZCARD', log) >= limit then
  local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
  local retry = window
  if oldest[2] then retry = tonumber(oldest[2]) + window - now end
  if retry < 1 then retry = 1 end
  return {0, retry}
end
local counter = @ids@ .. ARGV[1]
local id = redis.call('INCR', counter)
local floor = tonumber(ARGV[3])
if id <= floor then
  id = floor + 1
  redis.call('SET', counter, id)
end
local sid = string.format('%d', id)
redis.call('ZADD', log, now, ARGV[1] .. sid)
redis.call('PEXPIRE', log, window)
keep(ARGV[1], '{"t":"' .. ARGV[1] .. '","id":' .. sid .. ',' .. ARGV[6], ARGV[2], ARGV[7])
return {1, id}
)lua");
  return script;
}

const Script& restore_script() {
  static const Script script = make(std::string(keep_entry) + R"lua(
local list = @recent_public@
if ARGV[1] ~= 'p' then list = @recent_private@ .. ARGV[4] end
for _, item in ipairs(redis.call('LRANGE', list, 0, -1)) do
  if item == ARGV[3] then return 0 end
end
local counter = @ids@ .. ARGV[1]
local id = tonumber(ARGV[2])
if (tonumber(redis.call('GET', counter)) or 0) >= id then return -1 end
redis.call('SET', counter, ARGV[2])
keep(ARGV[1], ARGV[3], ARGV[4], ARGV[5])
return 1
)lua");
  return script;
}

const Script& remove_script() {
  static const Script script = make(R"lua(
local wanted = {}
for i = 1, #ARGV do wanted[ARGV[i]] = true end
local removed = 0
for _, item in ipairs(redis.call('LRANGE', @recent_public@, 0, -1)) do
  local id = string.match(item, '"id":(%d+)')
  if id and wanted[id] then
    removed = removed + redis.call('LREM', @recent_public@, 1, item)
  end
end
return removed
)lua");
  return script;
}

const Script& reap_script() {
  static const Script script = make(R"lua(
local gone = {}
for _, m in ipairs(redis.call('SMEMBERS', @instances@)) do
  if redis.call('EXISTS', @alive@ .. m) == 0 then
    redis.call('SREM', @instances@, m)
    redis.call('DEL', @presence@ .. m)
    redis.call('PUBLISH', @bus@, '{"t":"g","i":"' .. m .. '"}')
    table.insert(gone, m)
  end
end
return gone
)lua");
  return script;
}

const Script& lock_script() {
  static const Script script = make(R"lua(
local holder = redis.call('GET', @flush_lock@)
if not holder then
  redis.call('SET', @flush_lock@, ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', @flush_lock@, ARGV[2])
  return 1
end
return 0
)lua");
  return script;
}

const Script& trim_script() {
  static const Script script = make(R"lua(
if redis.call('GET', @flush_lock@) ~= ARGV[1] then return 0 end
redis.call('LTRIM', @flush@, tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', @flush_lock@, ARGV[3])
return 1
)lua");
  return script;
}

const Script& unlock_script() {
  static const Script script = make(R"lua(
if redis.call('GET', @flush_lock@) == ARGV[1] then
  redis.call('DEL', @flush_lock@)
  return 1
end
return 0
)lua");
  return script;
}

Command evalsha(const Script& script, std::vector<std::string> args) {
  return call("EVALSHA", script.sha1, std::move(args));
}

Command eval(const Script& script, std::vector<std::string> args) {
  return call("EVAL", script.source, std::move(args));
}

bool is_noscript(const Reply& reply) {
  return reply.is_error() && reply.text.rfind("NOSCRIPT", 0) == 0;
}

}  // namespace natter::cache
