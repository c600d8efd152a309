// The standard process_* series every Prometheus client exposes (CPU, memory, file
// descriptors, start time), read from /proc/self at each scrape. prometheus-cpp has no
// process collector, so this writes them in the text exposition format itself.
#pragma once

#include <string>

namespace natter::metrics {

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds and process_start_time_seconds, each with HELP and TYPE.
// A series /proc cannot give is left out.
std::string process_metrics_text();

}  // namespace natter::metrics
