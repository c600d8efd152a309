// The settings natter takes: each one's flag name, default, help line and how its value is
// parsed and checked into Settings. Internal to config/: settings.cpp reads the environment and
// argv through this table, settings_text.cpp prints it for --help.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace natter::config {

struct Option {
  const char* name;  // flag name without dashes; env is NATTER_ + upper snake
  const char* fallback;
  const char* help;
  std::function<void(Settings&, const std::string&)> apply;
};

// NATTER_ + the flag name in upper snake case.
std::string env_name(std::string_view flag);
// Throws the ConfigError that names the setting, its value and why it is refused.
[[noreturn]] void bad(std::string_view flag, std::string_view value, std::string_view why);

// Every setting, in --help order.
const std::vector<Option>& options();
// The setting with this flag name, or null.
const Option* find_option(std::string_view name);

}  // namespace natter::config
