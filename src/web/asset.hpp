// One file of the browser app as natter serves it: its bytes, a gzip variant when that is
// smaller, its content type and a strong ETag. The embedded table is generated from the app's
// build output (scripts/embed-web); a directory is read into the same shape (static_files).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace natter::web {

struct Asset {
  std::string_view path;          // "/index.html", "/assets/index-3f2a1b.js"
  std::string_view body;          // the file's bytes
  std::string_view gzip;          // the same, gzip-compressed; empty when not smaller
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // "\"<16 hex digits>\"": etag_of(body)
};

// The app built into this binary (generated); empty when it was built without one.
std::span<const Asset> embedded_assets();

// The content type for a file name, by its extension; application/octet-stream when unknown.
// scripts/embed-web keeps the same table.
std::string_view content_type_for(std::string_view path);

// A strong validator for these bytes: the quoted FNV-1a 64-bit hash in hex. Not a security
// hash; it tells two versions of a file apart. scripts/embed-web computes the same.
std::string etag_of(std::string_view bytes);

}  // namespace natter::web
