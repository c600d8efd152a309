// Integrity accounting and the printing of results.
#include "report.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace natter::bench {
namespace json = boost::json;

Integrity check_integrity(const ThreadStats& totals, std::vector<SenderLedger>& ledgers) {
  Integrity result;
  for (auto& ledger : ledgers) {
    std::sort(ledger.refused.begin(), ledger.refused.end());
    result.refused += ledger.refused.size();
    result.sent += ledger.final_seq;
    if (!ledger.drained) ++result.undrained_senders;
  }
  for (const auto& [sender, seq] : totals.missing) {
    const auto& refused = ledgers[sender].refused;
    if (std::binary_search(refused.begin(), refused.end(), seq)) {
      ++result.refused_gaps;
    } else {
      ++result.lost;
    }
  }
  result.lost += totals.missing_overflow;
  return result;
}

json::object latency_json(const Histogram& h) {
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  return json::object{{"count", h.count()},
                      {"p50", us(h.percentile(0.50))},
                      {"p90", us(h.percentile(0.90))},
                      {"p99", us(h.percentile(0.99))},
                      {"p99_9", us(h.percentile(0.999))},
                      {"max", us(h.max())},
                      {"mean", h.mean() / 1000.0}};
}

json::object counts_json(const std::map<int, std::uint64_t>& counts) {
  json::object o;
  for (const auto& [k, v] : counts) o[std::to_string(k)] = v;
  return o;
}

json::object counts_json(const std::map<std::string, std::uint64_t>& counts) {
  json::object o;
  for (const auto& [k, v] : counts) o[k] = v;
  return o;
}

std::string format_us(std::uint64_t ns) {
  char buffer[32];
  if (ns >= 10'000'000) {
    std::snprintf(buffer, sizeof buffer, "%.1f ms", static_cast<double>(ns) / 1e6);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f us", static_cast<double>(ns) / 1e3);
  }
  return buffer;
}

namespace {

std::string list(const std::map<int, std::uint64_t>& counts) {
  std::string out;
  for (const auto& [k, v] : counts)
    out += (out.empty() ? "" : ", ") + std::to_string(k) + ": " + std::to_string(v);
  return out.empty() ? "none" : out;
}

std::string list(const std::map<std::string, std::uint64_t>& counts) {
  std::string out;
  for (const auto& [k, v] : counts) out += (out.empty() ? "" : ", ") + k + ": " + std::to_string(v);
  return out.empty() ? "none" : out;
}

}  // namespace

int delivery_report(json::object& out, std::string& summary, const ThreadStats& t,
                    const Integrity& integrity, double window_seconds,
                    std::size_t failed_connects) {
  const bool clean = integrity.clean(t);
  const bool measured = window_seconds > 0;
  const bool closes = !t.server_closes.empty() || !t.dropped.empty() || failed_connects > 0 ||
                      integrity.refused > 0 || !measured;
  out["ok"] = clean && !closes;
  out["measured"] = measured;
  out["window_s"] = window_seconds;
  out["sent"] = integrity.sent;
  out["refused"] = integrity.refused;
  out["delivered"] = t.delivered;
  out["delivered_in_window"] = t.delivered_in_window;
  if (clean && measured) {
    out["delivered_per_s"] = static_cast<double>(t.delivered_in_window) / window_seconds;
    out["latency_us"] = latency_json(t.latency);
  } else {
    out["delivered_per_s"] = nullptr;
    out["latency_us"] = nullptr;
  }
  out["lost"] = integrity.lost;
  out["duplicated"] = t.duplicated;
  out["out_of_order"] = t.out_of_order;
  out["cache_id_regressions"] = t.cache_id_regressions;
  out["refused_gaps"] = integrity.refused_gaps;
  out["cut_by_close"] = t.cut_by_close;
  out["undrained_senders"] = integrity.undrained_senders;
  out["server_closes"] = counts_json(t.server_closes);
  out["dropped"] = counts_json(t.dropped);
  out["errors"] = counts_json(t.errors);
  out["connect_failures"] = counts_json(t.connect_failures);
  out["foreign"] = t.foreign;
  out["malformed"] = t.malformed;

  std::ostringstream s;
  if (!measured) {
    s << "NOT MEASURED: connections failed before anything was sent\n";
  } else if (clean) {
    char line[160];
    std::snprintf(line, sizeof line, "delivered  %.0f msgs/s over %.2f s (%llu deliveries)\n",
                  static_cast<double>(t.delivered_in_window) / window_seconds, window_seconds,
                  static_cast<unsigned long long>(t.delivered_in_window));
    s << line;
    s << "latency    p50 " << format_us(t.latency.percentile(0.5)) << "  p90 "
      << format_us(t.latency.percentile(0.9)) << "  p99 " << format_us(t.latency.percentile(0.99))
      << "  p99.9 " << format_us(t.latency.percentile(0.999)) << "  max "
      << format_us(t.latency.max()) << "\n";
  } else {
    s << "INTEGRITY FAILURE: no throughput reported\n";
  }
  s << "sent       " << integrity.sent << " (refused " << integrity.refused << ")\n";
  s << "lost " << integrity.lost << "  duplicated " << t.duplicated << "  out of order "
    << t.out_of_order << "  cacheID regressions " << t.cache_id_regressions << "\n";
  s << "closed by natter: " << list(t.server_closes)
    << "  (messages cut by those closes: " << t.cut_by_close << ")\n";
  s << "dropped: " << list(t.dropped) << "\nerrors received: " << list(t.errors) << "\n";
  if (failed_connects) s << "connect failures: " << list(t.connect_failures) << "\n";
  summary += s.str();
  if (integrity.refused) s << "natter refused " << integrity.refused << " messages: see errors\n";
  return !clean ? 1 : closes ? 2 : 0;
}

void emit(const json::object& result, const std::string& summary) {
  std::cout << json::serialize(result) << std::endl;
  std::cerr << summary << std::flush;
}

}  // namespace natter::bench
