// Sets up natter's log: one line per event on stderr, human-readable by default or one JSON
// object per line (NATTER_LOG_FORMAT=json) for log shippers.
#pragma once

#include <string>

namespace natter {

// `format` is "human" or "json"; `level` one of spdlog's level names.
void configure_logging(const std::string& format, const std::string& level);

}  // namespace natter
