// Every Valkey key and channel natter uses, named once: the C++ side uses these, and the Lua
// scripts (scripts.cpp) have them substituted for their @name@ placeholders.
#pragma once

#include <string>

namespace natter::cache::keys {

inline const std::string bus = "natter:bus";                   // pub/sub: every instance's events
inline const std::string recent_public = "natter:recent:p";    // the last 500 public messages
inline const std::string recent_private = "natter:recent:q:";  // + user id: their private ones
inline const std::string instances = "natter:instances";       // the live instances
inline const std::string rate = "natter:rate";                 // the rate limit (limit, window)
inline const std::string rate_log = "natter:rl:";              // + user id: their message times
inline const std::string ids = "natter:id:";                   // + p or q: the cacheID counters
inline const std::string flush = "natter:flush";               // accepted, not yet stored
inline const std::string flush_lock = "natter:flush:lock";     // the flusher holding the queue
inline const std::string alive = "natter:alive:";              // + instance: its heartbeat
inline const std::string presence = "natter:presence:";        // + instance: its users

}  // namespace natter::cache::keys
