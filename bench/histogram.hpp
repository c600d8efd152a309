// A log-linear histogram of latencies in nanoseconds (the HdrHistogram idea, our own code):
// exact below 128, then 64 sub-buckets per power of two (under 1.6% error), fixed memory,
// mergeable, so every thread records without locks and the results add up at the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace natter::bench {

class Histogram {
 public:
  void record(std::uint64_t value);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // The smallest bucket bound that at least `fraction` (0..1) of the values are under; never
  // above the true maximum.
  std::uint64_t percentile(double fraction) const;

 private:
  static constexpr std::size_t kLinear = 128;
  static constexpr std::size_t kSubBuckets = 64;
  static constexpr std::size_t kBuckets = kLinear + (64 - 7) * kSubBuckets;

  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t upper_bound_of(std::size_t index);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

}  // namespace natter::bench
