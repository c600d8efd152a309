// Adding up the per-thread tallies of a run.
#include "run_state.hpp"

namespace natter::bench {

void ThreadStats::merge(const ThreadStats& o) {
  latency.merge(o.latency);
  connect_latency.merge(o.connect_latency);
  frames += o.frames;
  delivered += o.delivered;
  delivered_in_window += o.delivered_in_window;
  echoes_in_window += o.echoes_in_window;
  duplicated += o.duplicated;
  out_of_order += o.out_of_order;
  cache_id_regressions += o.cache_id_regressions;
  foreign += o.foreign;
  malformed += o.malformed;
  user_status += o.user_status;
  greeting_frames += o.greeting_frames;
  joins += o.joins;
  leaves += o.leaves;
  cut_by_close += o.cut_by_close;
  missing_overflow += o.missing_overflow;
  for (const auto& [k, v] : o.server_closes) server_closes[k] += v;
  for (const auto& [k, v] : o.dropped) dropped[k] += v;
  for (const auto& [k, v] : o.errors) errors[k] += v;
  for (const auto& [k, v] : o.connect_failures) connect_failures[k] += v;
  missing.insert(missing.end(), o.missing.begin(), o.missing.end());
}

}  // namespace natter::bench
