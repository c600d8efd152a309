// Command-line options of natter-bench: `--name value` pairs read by the scenario that needs
// them, with typed getters and defaults; an option nobody asked for is an error, so a typo
// never silently runs the wrong benchmark.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace natter::bench {

class Options {
 public:
  // Parses argv[first..]: every option is `--name value` or `--name=value`.
  static Options parse(int argc, char** argv, int first);

  std::string text(const std::string& name, const std::string& fallback);
  std::int64_t integer(const std::string& name, std::int64_t fallback);
  double number(const std::string& name, double fallback);
  bool has(const std::string& name) const { return values_.count(name) != 0; }

  // Throws naming the first option that no getter asked for.
  void reject_unused() const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> used_;
};

std::vector<std::string> split_list(const std::string& text, char separator = ',');

}  // namespace natter::bench
