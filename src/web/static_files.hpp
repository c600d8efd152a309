// Serving the browser app: its URLs (/, /chat/..., /admin/... give index.html; /assets/... the
// hashed files), cache headers, ETag revalidation and gzip, from the embedded table or from a
// directory. Knows no HTTP library: net/ turns a WebRequest into a reply on the wire.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web/asset.hpp"

namespace natter::web {

struct WebRequest {
  std::string_view method;           // "GET", "HEAD", ...
  std::string_view path;             // the target without its query
  std::string_view if_none_match;    // the header, or empty
  std::string_view accept_encoding;  // the header, or empty
};

struct WebReply {
  int status = 200;  // 200, 304, 404 (an unknown /assets file) or 405
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty for 304, 404 and 405: net/ writes its own error body
};

class StaticFiles {
 public:
  // From the embedded table.
  StaticFiles(std::span<const Asset> table, std::string policy);
  // From a directory (NATTER_WEB_ROOT): files are read on each request, nothing outside root
  // is ever opened. Throws std::invalid_argument when root is not a directory.
  StaticFiles(const std::filesystem::path& root, std::string policy);

  // The reply for one of the app's paths, or nullopt when the path is not the app's (or the
  // app has no index.html), so net/ answers as it would without the app.
  std::optional<WebReply> serve(const WebRequest& request) const;

  bool has_index() const { return find("/index.html").has_value(); }

 private:
  struct File {
    std::string body, gzip, content_type, etag;
  };
  // nullopt when absent or the path is not a clean relative file path.
  std::optional<File> find(std::string_view path) const;
  std::optional<File> read_from_root(std::string_view path) const;

  std::span<const Asset> table_;
  std::filesystem::path root_;  // empty: the table
  std::string policy_;
};

// True for /, /chat, /chat/..., /admin and /admin/...: the app's pages (index.html).
bool is_page_path(std::string_view path);

// True when a path is safe to look up: "/" then segments of letters, digits and "-_.~@+",
// none empty, none starting with '.' (so no "..", no hidden files), no percent escapes.
bool is_clean_file_path(std::string_view path);

// Whether an Accept-Encoding value accepts gzip (q=0 refuses it).
bool accepts_gzip(std::string_view accept_encoding);

// The ETag of a file's gzip variant: "<tag>-gzip".
std::string gzip_etag(std::string_view etag);

// Whether an If-None-Match value names this ETag (weak comparison, "*" matches any).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace natter::web
