// A run's result: one JSON object on stdout (one line, for scripts) and a one-screen summary
// on stderr (for people). The integrity rule lives here: a run that lost, duplicated or
// reordered messages gets no throughput figure, only the counts, and a failing exit code.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "run_state.hpp"

namespace natter::bench {

struct Integrity {
  std::uint64_t lost = 0;          // gaps and tails not explained by a refusal
  std::uint64_t refused_gaps = 0;  // gaps that were messages natter refused (error reply)
  std::uint64_t refused = 0;       // messages refused, per the senders
  std::uint64_t sent = 0;
  std::uint64_t undrained_senders = 0;
  bool clean(const ThreadStats& t) const {
    return lost == 0 && t.duplicated == 0 && t.out_of_order == 0 && t.cache_id_regressions == 0;
  }
};

Integrity check_integrity(const ThreadStats& totals, std::vector<SenderLedger>& ledgers);

boost::json::object latency_json(const Histogram& h);  // microseconds
boost::json::object counts_json(const std::map<int, std::uint64_t>& counts);
boost::json::object counts_json(const std::map<std::string, std::uint64_t>& counts);

// The message-delivery fields shared by fanout, private and mixed; returns the exit code
// (0 clean, 1 lost/duplicated/reordered, 2 clean but connections failed or were closed, or
// natter refused messages, or nothing was measured).
int delivery_report(boost::json::object& out, std::string& summary, const ThreadStats& totals,
                    const Integrity& integrity, double window_seconds, std::size_t failed_connects);

// Prints the JSON line on stdout and the summary on stderr.
void emit(const boost::json::object& result, const std::string& summary);

std::string format_us(std::uint64_t ns);

}  // namespace natter::bench
