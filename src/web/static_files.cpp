// Path rules, cache headers, revalidation and content coding for the app's files.
#include "web/static_files.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "web/page_policy.hpp"

namespace natter::web {
namespace {

constexpr std::string_view kIndex = "/index.html";
constexpr std::string_view kAssets = "/assets/";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
constexpr std::size_t kMaxFileBytes = 64u << 20;  // a directory's file past this is not served

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool under(std::string_view path, std::string_view prefix) {
  return path == prefix || (path.size() > prefix.size() &&
                            path.substr(0, prefix.size()) == prefix && path[prefix.size()] == '/');
}

std::optional<std::string> read_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec || size > kMaxFileBytes) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes;
}

}  // namespace

std::string gzip_etag(std::string_view etag) {
  if (etag.size() < 2 || etag.back() != '"') return std::string(etag);
  std::string out(etag.substr(0, etag.size() - 1));
  out += "-gzip\"";
  return out;
}

bool is_page_path(std::string_view path) {
  return path == "/" || under(path, "/chat") || under(path, "/admin");
}

bool is_clean_file_path(std::string_view path) {
  if (path.size() < 2 || path.front() != '/') return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const auto segment = path.substr(start, end - start);
    if (segment.empty() || segment.front() == '.') return false;
    for (char c : segment) {
      const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                      c == '.' || c == '~' || c == '@' || c == '+';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

bool accepts_gzip(std::string_view accept_encoding) {
  bool star = false;
  while (!accept_encoding.empty()) {
    auto comma = accept_encoding.find(',');
    auto item = accept_encoding.substr(0, comma);
    accept_encoding.remove_prefix(comma == std::string_view::npos ? accept_encoding.size()
                                                                  : comma + 1);
    auto semicolon = item.find(';');
    const auto coding = trim(item.substr(0, semicolon));
    bool refused = false;
    if (semicolon != std::string_view::npos) {
      auto param = trim(item.substr(semicolon + 1));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        const auto q = trim(param.substr(2));
        refused = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
      }
    }
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) return !refused;
    if (coding == "*") star = !refused;
  }
  return star;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    auto tag = trim(if_none_match.substr(0, comma));
    if_none_match.remove_prefix(comma == std::string_view::npos ? if_none_match.size() : comma + 1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

StaticFiles::StaticFiles(std::span<const Asset> table, std::string policy)
    : table_(table), policy_(std::move(policy)) {}

StaticFiles::StaticFiles(const std::filesystem::path& root, std::string policy)
    : policy_(std::move(policy)) {
  std::error_code ec;
  root_ = std::filesystem::canonical(root, ec);
  if (ec || !std::filesystem::is_directory(root_)) {
    throw std::invalid_argument("not a directory: " + root.string());
  }
}

std::optional<StaticFiles::File> StaticFiles::find(std::string_view path) const {
  if (!is_clean_file_path(path)) return std::nullopt;
  if (!root_.empty()) return read_from_root(path);
  for (const auto& asset : table_) {
    if (asset.path == path) {
      return File{std::string(asset.body), std::string(asset.gzip), std::string(asset.content_type),
                  std::string(asset.etag)};
    }
  }
  return std::nullopt;
}

// The clean path names a file below root_; a symbolic link leading out of it is refused too.
std::optional<StaticFiles::File> StaticFiles::read_from_root(std::string_view path) const {
  std::error_code ec;
  const auto file = std::filesystem::canonical(root_ / std::filesystem::path(path.substr(1)), ec);
  if (ec) return std::nullopt;
  const auto relative = file.lexically_relative(root_);
  if (relative.empty() || *relative.begin() == "..") return std::nullopt;
  auto body = read_file(file);
  if (!body) return std::nullopt;
  File out;
  out.content_type = std::string(content_type_for(path));
  out.etag = etag_of(*body);
  out.body = std::move(*body);
  // A precompressed sibling (file.gz) as a static gzip server would use it.
  auto gzip_file = file;
  gzip_file += ".gz";
  if (auto gzip = read_file(gzip_file); gzip && gzip->size() < out.body.size()) {
    out.gzip = std::move(*gzip);
  }
  return out;
}

std::optional<WebReply> StaticFiles::serve(const WebRequest& request) const {
  const auto path = request.path;
  const bool page = is_page_path(path);
  const bool asset = path.substr(0, kAssets.size()) == kAssets;
  std::optional<File> file;
  if (page) {
    file = find(kIndex);
  } else if (asset || (path.find('/', 1) == std::string_view::npos && path.size() > 1)) {
    file = find(path);
  }
  if (!file && !(asset && has_index())) return std::nullopt;

  WebReply reply;
  reply.headers = security_headers(policy_);
  if (request.method != "GET" && request.method != "HEAD") {
    reply.status = 405;
    reply.headers.emplace_back("Allow", "GET, HEAD");
    return reply;
  }
  if (!file) {
    reply.status = 404;
    return reply;
  }
  // The gzip variant is another representation, so it has its own strong tag.
  const bool gzip = !file->gzip.empty() && accepts_gzip(request.accept_encoding);
  const std::string etag = gzip ? gzip_etag(file->etag) : file->etag;
  reply.headers.emplace_back("Cache-Control", asset ? kImmutable : kRevalidate);
  reply.headers.emplace_back("ETag", etag);
  reply.headers.emplace_back("Vary", "Accept-Encoding");
  if (etag_matches(request.if_none_match, etag)) {
    reply.status = 304;
    return reply;
  }
  reply.headers.emplace_back("Content-Type", file->content_type);
  if (gzip) reply.headers.emplace_back("Content-Encoding", "gzip");
  reply.body = gzip ? std::move(file->gzip) : std::move(file->body);
  return reply;
}

}  // namespace natter::web
