// Benchmark message texts, envelope scanning and per-connection order checks.
#include "message_check.hpp"

#include <algorithm>
#include <charconv>

namespace natter::bench {
namespace {

template <typename T>
bool read_number(std::string_view& text, T& value, char stop) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  if (stop == 0) return true;
  if (text.empty() || text.front() != stop) return false;
  text.remove_prefix(1);
  return true;
}

template <typename T>
void append_number(std::string& out, T value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

}  // namespace

std::string make_text(const Stamp& stamp, std::size_t min_bytes) {
  std::string text = "nb:";
  text.reserve(std::max<std::size_t>(min_bytes, 64));
  append_number(text, stamp.run);
  text += ':';
  append_number(text, stamp.sender);
  text += ':';
  append_number(text, stamp.seq);
  text += ':';
  append_number(text, stamp.sent_ns);
  if (text.size() + 1 < min_bytes) {
    text += ' ';
    text.append(min_bytes - text.size(), 'x');
  }
  return text;
}

std::optional<Stamp> parse_text(std::string_view text) {
  if (text.substr(0, 3) != "nb:") return std::nullopt;
  text.remove_prefix(3);
  Stamp s;
  if (!read_number(text, s.run, ':') || !read_number(text, s.sender, ':') ||
      !read_number(text, s.seq, ':') || !read_number(text, s.sent_ns, 0)) {
    return std::nullopt;
  }
  if (!text.empty() && text.front() != ' ') return std::nullopt;
  return s;
}

std::string_view frame_type(std::string_view frame) {
  constexpr std::string_view kStart = R"({"type":")";
  if (frame.substr(0, kStart.size()) != kStart) return {};
  frame.remove_prefix(kStart.size());
  const auto end = frame.find('"');
  return end == std::string_view::npos ? std::string_view() : frame.substr(0, end);
}

bool scan_chat(std::string_view frame, std::int64_t& cache_id, std::string_view& message) {
  constexpr std::string_view kCacheId = R"("cacheID":)";
  constexpr std::string_view kMessage = R"("message":")";
  auto at = frame.find(kCacheId);
  if (at == std::string_view::npos) return false;
  std::string_view rest = frame.substr(at + kCacheId.size());
  if (!read_number(rest, cache_id, 0)) return false;
  at = frame.find(kMessage);
  if (at == std::string_view::npos) return false;
  rest = frame.substr(at + kMessage.size());
  const auto end = rest.find('"');
  if (end == std::string_view::npos) return false;
  message = rest.substr(0, end);
  return message.find('\\') == std::string_view::npos;
}

OrderCheck::Verdict OrderCheck::accept(std::uint32_t sender, std::uint64_t seq) {
  auto [it, inserted] = tracks_.try_emplace(sender);
  Track& track = it->second;
  if (inserted && !strict_) {
    track.last = seq;
    return Verdict::first;
  }
  if (seq == track.last + 1) {
    track.last = seq;
    return Verdict::in_order;
  }
  if (seq > track.last) {
    const std::uint64_t gap = seq - track.last - 1;
    if (missing_count_ + gap > missing_cap_) {
      overflow_ += gap;
    } else {
      for (std::uint64_t s = track.last + 1; s < seq; ++s) track.missing.push_back(s);
      missing_count_ += gap;
    }
    track.last = seq;
    return Verdict::gap;
  }
  auto hole = std::find(track.missing.rbegin(), track.missing.rend(), seq);
  if (hole == track.missing.rend()) return Verdict::duplicate;
  track.missing.erase(std::next(hole).base());
  --missing_count_;
  return Verdict::late;
}

void OrderCheck::tail(std::uint32_t sender, std::uint64_t final_seq,
                      std::vector<std::pair<std::uint32_t, std::uint64_t>>& out) const {
  auto it = tracks_.find(sender);
  if (it == tracks_.end() && !strict_) return;
  const std::uint64_t last = it == tracks_.end() ? 0 : it->second.last;
  for (std::uint64_t s = last + 1; s <= final_seq; ++s) out.emplace_back(sender, s);
}

void OrderCheck::gaps(std::vector<std::pair<std::uint32_t, std::uint64_t>>& out) const {
  for (const auto& [sender, track] : tracks_) {
    for (auto s : track.missing) out.emplace_back(sender, s);
  }
}

std::uint64_t OrderCheck::last(std::uint32_t sender) const {
  auto it = tracks_.find(sender);
  return it == tracks_.end() ? 0 : it->second.last;
}

}  // namespace natter::bench
