// Parsing of natter-bench's `--name value` options.
#include "options.hpp"

#include <charconv>
#include <stdexcept>

namespace natter::bench {

Options Options::parse(int argc, char** argv, int first) {
  Options options;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() < 3) {
      throw std::invalid_argument("expected an option --name, got '" + arg + "'");
    }
    arg = arg.substr(2);
    if (auto eq = arg.find('='); eq != std::string::npos) {
      options.values_[arg.substr(0, eq)] = arg.substr(eq + 1);
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument("option --" + arg + " needs a value");
    options.values_[arg] = argv[++i];
  }
  return options;
}

std::string Options::text(const std::string& name, const std::string& fallback) {
  used_.insert(name);
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::int64_t Options::integer(const std::string& name, std::int64_t fallback) {
  used_.insert(name);
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  std::int64_t value = 0;
  const auto& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    throw std::invalid_argument("--" + name + " must be an integer, got '" + s + "'");
  }
  return value;
}

double Options::number(const std::string& name, double fallback) {
  used_.insert(name);
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  try {
    std::size_t end = 0;
    double value = std::stod(it->second, &end);
    if (end == it->second.size()) return value;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--" + name + " must be a number, got '" + it->second + "'");
}

void Options::reject_unused() const {
  for (const auto& [name, value] : values_) {
    if (!used_.count(name)) throw std::invalid_argument("unknown option --" + name);
  }
}

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace natter::bench
