// Reading /proc/self for the process_* series.
#include "metrics/process_metrics.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace natter::metrics {
namespace {

void series(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            double value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

// The fields of /proc/self/stat after the command name (which may hold spaces), so that
// fields[0] is field 3 (state) of proc(5).
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> fields;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

// Seconds since the epoch at which the system booted (/proc/stat's btime).
double boot_time() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double value = 0;
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

std::string process_metrics_text() {
  std::string out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const auto fields = stat_fields();
  // proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24 (1-based; fields[0] is 3).
  if (fields.size() > 21 && ticks > 0) {
    const double cpu = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
    series(out, "process_cpu_seconds_total", "counter", "User and system CPU time, in seconds",
           cpu);
    series(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size, in bytes",
           std::stod(fields[20]));
    series(out, "process_resident_memory_bytes", "gauge", "Resident memory size, in bytes",
           std::stod(fields[21]) * page);
    if (const double boot = boot_time(); boot > 0) {
      series(out, "process_start_time_seconds", "gauge",
             "Start time of the process since the Unix epoch, in seconds",
             boot + std::stod(fields[19]) / ticks);
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  if (!ec) {
    series(out, "process_open_fds", "gauge", "Open file descriptors",
           static_cast<double>(fds > 0 ? fds - 1 : 0));  // less the one reading the directory
  }
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    series(out, "process_max_fds", "gauge", "Most open file descriptors allowed",
           static_cast<double>(limit.rlim_cur));
  }
  return out;
}

}  // namespace natter::metrics
