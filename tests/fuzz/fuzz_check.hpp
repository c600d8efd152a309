// What every fuzz target shares: a property check that stops the run with a message (libFuzzer
// saves the input as a crash), and quiet logging so the parsers' warnings do not flood the run.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdio>

#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #condition); \
      __builtin_trap();                                                                       \
    }                                                                                         \
  } while (false)

namespace natter::fuzz {

inline void quiet_logs() { spdlog::set_level(spdlog::level::off); }

}  // namespace natter::fuzz
