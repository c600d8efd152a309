#include "cache/valkey/scripts.hpp"

#include <openssl/evp.h>

#include <cstdio>

namespace natter::cache {
namespace {

std::string sha1_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

Script make(std::string source) {
  Script script{std::move(source), {}};
  script.sha1 = sha1_hex(script.source);
  return script;
}

Command call(const std::string& verb, const std::string& what, std::vector<std::string> args) {
  Command command{verb, what, "0"};
  command.insert(command.end(), std::make_move_iterator(args.begin()),
                 std::make_move_iterator(args.end()));
  return command;
}

}  // namespace

const Script& accept_script() {
  static const Script script = make(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = redis.call('HMGET', 'natter:rate', 'limit', 'window')
local limit = tonumber(rate[1]) or tonumber(ARGV[4])
local window = (tonumber(rate[2]) or tonumber(ARGV[5])) * 1000
local log = 'natter:rl:' .. ARGV[2]
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
if redis.call('ZCARD', log) >= limit then
  local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
  local retry = window
  if oldest[2] then retry = tonumber(oldest[2]) + window - now end
  if retry < 1 then retry = 1 end
  return {0, retry}
end
local counter = 'natter:id:' .. ARGV[1]
local id = redis.call('INCR', counter)
local floor = tonumber(ARGV[3])
if id <= floor then
  id = floor + 1
  redis.call('SET', counter, id)
end
local sid = string.format('%d', id)
redis.call('ZADD', log, now, ARGV[1] .. sid)
redis.call('PEXPIRE', log, window)
local entry = '{"t":"' .. ARGV[1] .. '","id":' .. sid .. ',' .. ARGV[6]
if ARGV[1] == 'p' then
  redis.call('RPUSH', 'natter:recent:p', entry)
  redis.call('LTRIM', 'natter:recent:p', -500, -1)
else
  local owners = {ARGV[2]}
  if ARGV[7] ~= ARGV[2] then owners[2] = ARGV[7] end
  for _, who in ipairs(owners) do
    local key = 'natter:recent:q:' .. who
    redis.call('RPUSH', key, entry)
    redis.call('LTRIM', key, -200, -1)
  end
end
redis.call('RPUSH', 'natter:flush', entry)
redis.call('PUBLISH', 'natter:bus', entry)
return {1, id}
)lua");
  return script;
}

const Script& remove_script() {
  static const Script script = make(R"lua(
local wanted = {}
for i = 1, #ARGV do wanted[ARGV[i]] = true end
local removed = 0
for _, item in ipairs(redis.call('LRANGE', 'natter:recent:p', 0, -1)) do
  local id = string.match(item, '"id":(%d+)')
  if id and wanted[id] then
    removed = removed + redis.call('LREM', 'natter:recent:p', 1, item)
  end
end
return removed
)lua");
  return script;
}

const Script& reap_script() {
  static const Script script = make(R"lua(
local gone = {}
for _, m in ipairs(redis.call('SMEMBERS', 'natter:instances')) do
  if redis.call('EXISTS', 'natter:alive:' .. m) == 0 then
    redis.call('SREM', 'natter:instances', m)
    redis.call('DEL', 'natter:presence:' .. m)
    redis.call('PUBLISH', 'natter:bus', '{"t":"g","i":"' .. m .. '"}')
    table.insert(gone, m)
  end
end
return gone
)lua");
  return script;
}

const Script& lock_script() {
  static const Script script = make(R"lua(
local holder = redis.call('GET', 'natter:flush:lock')
if not holder then
  redis.call('SET', 'natter:flush:lock', ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', 'natter:flush:lock', ARGV[2])
  return 1
end
return 0
)lua");
  return script;
}

const Script& trim_script() {
  static const Script script = make(R"lua(
if redis.call('GET', 'natter:flush:lock') ~= ARGV[1] then return 0 end
redis.call('LTRIM', 'natter:flush', tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', 'natter:flush:lock', ARGV[3])
return 1
)lua");
  return script;
}

const Script& unlock_script() {
  static const Script script = make(R"lua(
if redis.call('GET', 'natter:flush:lock') == ARGV[1] then
  redis.call('DEL', 'natter:flush:lock')
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
