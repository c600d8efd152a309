// What a benchmark message is and how a receiver checks it. The text natter relays carries
// the run, the sender, its sequence number and the send time; every receiving connection checks
// each sender's sequence (no gap, no duplicate, no reordering) and that cacheIDs only grow.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace natter::bench {

struct Stamp {
  std::uint32_t run = 0;
  std::uint32_t sender = 0;
  std::uint64_t seq = 0;
  std::int64_t sent_ns = 0;  // steady clock of this process
};

// "nb:RUN:SENDER:SEQ:NS" padded with 'x' to at least `min_bytes`.
std::string make_text(const Stamp& stamp, std::size_t min_bytes);
std::optional<Stamp> parse_text(std::string_view text);

// The `type` of a server envelope, read from its start (natter writes it first); empty when
// the text does not start like an envelope.
std::string_view frame_type(std::string_view frame);

// cacheID and message text of a chat_message or private_chat_message envelope, found without a
// full JSON parse. False when either is missing or the text holds escapes (ours never do).
bool scan_chat(std::string_view frame, std::int64_t& cache_id, std::string_view& message);

// One receiving connection's view of every sender's sequence.
class OrderCheck {
 public:
  enum class Verdict { first, in_order, gap, duplicate, late };

  // strict: every sender's first message must be seq 1 (connected before anyone sent);
  // otherwise the first seen starts the sequence (joined mid-run).
  OrderCheck(bool strict, std::size_t missing_cap) : strict_(strict), missing_cap_(missing_cap) {}

  Verdict accept(std::uint32_t sender, std::uint64_t seq);
  // Seqs of `sender` in (start, final_seq] never received; appended to `out`. A sender never
  // seen counts from 0 when strict, and not at all otherwise.
  void tail(std::uint32_t sender, std::uint64_t final_seq,
            std::vector<std::pair<std::uint32_t, std::uint64_t>>& out) const;
  // Every (sender, seq) recorded as a gap and not filled later.
  void gaps(std::vector<std::pair<std::uint32_t, std::uint64_t>>& out) const;
  // Gap seqs not recorded because of the cap; counted as lost.
  std::uint64_t overflow() const { return overflow_; }
  std::uint64_t last(std::uint32_t sender) const;

 private:
  struct Track {
    std::uint64_t last = 0;
    std::vector<std::uint64_t> missing;
  };
  bool strict_;
  std::size_t missing_cap_;
  std::size_t missing_count_ = 0;
  std::uint64_t overflow_ = 0;
  boost::unordered_flat_map<std::uint32_t, Track> tracks_;
};

}  // namespace natter::bench
