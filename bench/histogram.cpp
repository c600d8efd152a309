// Bucketing and percentiles of the latency histogram.
#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace natter::bench {

std::size_t Histogram::index_of(std::uint64_t value) {
  if (value < kLinear) return static_cast<std::size_t>(value);
  const int msb = 63 - std::countl_zero(value);  // >= 7
  const int shift = msb - 6;                     // value >> shift is in [64, 128)
  const auto top = static_cast<std::size_t>(value >> shift);
  return kLinear + static_cast<std::size_t>(msb - 7) * kSubBuckets + (top - kSubBuckets);
}

std::uint64_t Histogram::upper_bound_of(std::size_t index) {
  if (index < kLinear) return index;
  const std::size_t group = (index - kLinear) / kSubBuckets;
  const std::uint64_t top = (index - kLinear) % kSubBuckets + kSubBuckets;
  const int shift = static_cast<int>(group) + 1;
  return ((top + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t value) {
  ++counts_[index_of(value)];
  ++count_;
  sum_ += value;
  max_ = std::max(max_, value);
  min_ = std::min(min_, value);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

std::uint64_t Histogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  const auto wanted = static_cast<std::uint64_t>(
      std::max(1.0, std::ceil(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= wanted) return std::min(upper_bound_of(i), max_);
  }
  return max_;
}

}  // namespace natter::bench
