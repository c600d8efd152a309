// The browser app's file serving without a network: which paths are the app's, cache headers,
// ETag revalidation, the gzip choice, content types and refusing paths that leave the root.
#include "web/static_files.hpp"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "web/asset.hpp"
#include "web/page_policy.hpp"

namespace natter::web {
namespace {

std::map<std::string, std::string> headers_of(const WebReply& reply) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : reply.headers) out[name] = value;
  return out;
}

constexpr std::string_view kIndexBody = "<!doctype html><title>natter</title>";
constexpr std::string_view kScript = "console.log('natter');";
constexpr std::string_view kScriptGzip = "GZ";  // stands for the compressed bytes

const std::string kIndexTag = etag_of(kIndexBody);
const std::string kScriptTag = etag_of(kScript);
const std::string kSvgTag = etag_of("<svg/>");  // the table holds views: the tags must outlive it

const std::array<Asset, 3> kTable{{
    {"/index.html", kIndexBody, {}, "text/html; charset=utf-8", kIndexTag},
    {"/assets/app-1a2b.js", kScript, kScriptGzip, "text/javascript; charset=utf-8", kScriptTag},
    {"/favicon.svg", "<svg/>", {}, "image/svg+xml", kSvgTag},
}};

WebRequest get(std::string_view path) { return {"GET", path, {}, {}}; }

TEST(StaticFiles, AppPagesAreIndexHtmlRevalidatedEachTime) {
  StaticFiles files(kTable, "default-src 'self'");
  for (std::string_view path : {"/", "/chat", "/chat/general", "/admin", "/admin/users/x"}) {
    auto reply = files.serve(get(path));
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->status, 200) << path;
    EXPECT_EQ(reply->body, kIndexBody) << path;
    auto headers = headers_of(*reply);
    EXPECT_EQ(headers["Cache-Control"], "no-cache") << path;
    EXPECT_EQ(headers["Content-Type"], "text/html; charset=utf-8");
    EXPECT_EQ(headers["ETag"], kIndexTag);
    EXPECT_EQ(headers["Content-Security-Policy"], "default-src 'self'");
    EXPECT_EQ(headers["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ(headers["Referrer-Policy"], "no-referrer");
  }
}

TEST(StaticFiles, OtherPathsAreNotTheApps) {
  StaticFiles files(kTable, "");
  for (std::string_view path : {"/channels", "/messages", "/users", "/users/ban", "/activity/x",
                                "/ratelimits", "/discovery", "/healthz", "/ws", "/dev/token",
                                "/chatter", "/administrator", "/nope.txt", "/assets"}) {
    EXPECT_FALSE(files.serve(get(path))) << path;
  }
}

TEST(StaticFiles, HashedAssetsAreImmutableAndUnknownOnesNotFound) {
  StaticFiles files(kTable, "");
  auto reply = files.serve(get("/assets/app-1a2b.js"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, kScript);
  EXPECT_EQ(headers_of(*reply)["Cache-Control"], "public, max-age=31536000, immutable");
  EXPECT_EQ(headers_of(*reply)["Content-Type"], "text/javascript; charset=utf-8");
  auto missing = files.serve(get("/assets/app-0000.js"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(headers_of(*missing)["X-Content-Type-Options"], "nosniff");
}

TEST(StaticFiles, RootFilesOfTheBuildAreServed) {
  StaticFiles files(kTable, "");
  auto reply = files.serve(get("/favicon.svg"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, "<svg/>");
  EXPECT_EQ(headers_of(*reply)["Cache-Control"], "no-cache");
}

TEST(StaticFiles, MatchingIfNoneMatchIsNotModified) {
  StaticFiles files(kTable, "");
  auto reply = files.serve({"GET", "/chat", "\"other\", " + kIndexTag, {}});
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 304);
  EXPECT_TRUE(reply->body.empty());
  EXPECT_EQ(headers_of(*reply)["ETag"], kIndexTag);
  auto changed = files.serve({"GET", "/chat", "\"other\"", {}});
  EXPECT_EQ(changed->status, 200);
}

TEST(StaticFiles, GzipIsChosenWhenAcceptedAndTaggedApart) {
  StaticFiles files(kTable, "");
  auto reply = files.serve({"GET", "/assets/app-1a2b.js", {}, "br, gzip;q=0.8"});
  ASSERT_TRUE(reply);
  auto headers = headers_of(*reply);
  EXPECT_EQ(reply->body, kScriptGzip);
  EXPECT_EQ(headers["Content-Encoding"], "gzip");
  EXPECT_EQ(headers["Vary"], "Accept-Encoding");
  EXPECT_EQ(headers["ETag"], gzip_etag(kScriptTag));
  auto plain = files.serve({"GET", "/assets/app-1a2b.js", {}, "gzip;q=0"});
  EXPECT_EQ(plain->body, kScript);
  EXPECT_FALSE(headers_of(*plain).contains("Content-Encoding"));
  EXPECT_EQ(headers_of(*plain)["Vary"], "Accept-Encoding");
  // index.html has no smaller variant: plain even when gzip is welcome.
  auto index = files.serve({"GET", "/", {}, "gzip"});
  EXPECT_EQ(index->body, kIndexBody);
}

TEST(StaticFiles, OnlyGetAndHead) {
  StaticFiles files(kTable, "");
  EXPECT_EQ(files.serve({"HEAD", "/", {}, {}})->status, 200);
  auto post = files.serve({"POST", "/admin", {}, {}});
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(headers_of(*post)["Allow"], "GET, HEAD");
}

TEST(StaticFiles, WithoutAnAppNothingIsServed) {
  StaticFiles files(std::span<const Asset>{}, "");
  EXPECT_FALSE(files.serve(get("/")));
  EXPECT_FALSE(files.serve(get("/assets/app.js")));
  EXPECT_FALSE(files.has_index());
}

TEST(CleanPaths, RefuseEverythingThatCouldLeaveTheRoot) {
  EXPECT_TRUE(is_clean_file_path("/assets/index-AbC_1.js"));
  EXPECT_TRUE(is_clean_file_path("/index.html"));
  for (std::string_view path : {"", "/", "assets/x.js", "/assets/../index.html", "/assets/./x.js",
                                "/../etc/passwd", "/assets//x.js", "/assets/", "/.env",
                                "/assets/%2e%2e/x", "/assets\\..\\x", "/assets/a b.js"}) {
    EXPECT_FALSE(is_clean_file_path(path)) << path;
  }
}

TEST(ContentTypes, ByExtension) {
  EXPECT_EQ(content_type_for("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/assets/a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("/assets/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("/favicon.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("/assets/font.woff2"), "font/woff2");
  EXPECT_EQ(content_type_for("/assets.d/README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("/x.unknown"), "application/octet-stream");
}

TEST(Etags, StrongQuotedAndContentDerived) {
  // FNV-1a 64 of "" and "a": scripts/embed-web computes the same.
  EXPECT_EQ(etag_of(""), "\"cbf29ce484222325\"");
  EXPECT_EQ(etag_of("a"), "\"af63dc4c8601ec8c\"");
  EXPECT_NE(etag_of("ab"), etag_of("ba"));
  EXPECT_TRUE(etag_matches("W/\"x\"", "\"x\""));
  EXPECT_TRUE(etag_matches("*", "\"x\""));
  EXPECT_FALSE(etag_matches("", "\"x\""));
}

TEST(AcceptEncoding, Parsing) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
}

class StaticDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ =
        std::filesystem::temp_directory_path() /
        ("natter-web-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(base_);
    std::filesystem::create_directories(base_ / "root" / "assets");
    write(base_ / "root" / "index.html", "<p>dev build</p>");
    write(base_ / "root" / "assets" / "app-9.js", "let x = 1;");
    write(base_ / "root" / "assets" / "app-9.js.gz", "z");
    write(base_ / "secret.txt", "outside");
    std::filesystem::create_symlink(base_ / "secret.txt", base_ / "root" / "assets" / "leak.js");
  }
  void TearDown() override { std::filesystem::remove_all(base_); }
  static void write(const std::filesystem::path& path, std::string_view text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  std::filesystem::path base_;
};

TEST_F(StaticDirectory, ServesFilesWithTheSameHeaders) {
  StaticFiles files(base_ / "root", "policy");
  auto page = files.serve(get("/admin/bans"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->body, "<p>dev build</p>");
  EXPECT_EQ(headers_of(*page)["ETag"], etag_of("<p>dev build</p>"));
  EXPECT_EQ(headers_of(*page)["Content-Security-Policy"], "policy");
  auto script = files.serve({"GET", "/assets/app-9.js", {}, "gzip"});
  ASSERT_TRUE(script);
  EXPECT_EQ(script->body, "z");
  EXPECT_EQ(headers_of(*script)["Content-Encoding"], "gzip");
  EXPECT_EQ(headers_of(*script)["Cache-Control"], "public, max-age=31536000, immutable");
}

TEST_F(StaticDirectory, NeverReadsOutsideTheRoot) {
  StaticFiles files(base_ / "root", "");
  for (std::string_view path : {"/assets/../../secret.txt", "/assets/leak.js",
                                "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/..%2fsecret.txt"}) {
    auto reply = files.serve(get(path));
    ASSERT_TRUE(reply) << path;
    EXPECT_EQ(reply->status, 404) << path;
    EXPECT_TRUE(reply->body.empty()) << path;
  }
  EXPECT_FALSE(files.serve(get("/../secret.txt")));
}

TEST_F(StaticDirectory, RootMustBeADirectory) {
  EXPECT_THROW(StaticFiles(base_ / "secret.txt", ""), std::invalid_argument);
  EXPECT_THROW(StaticFiles(base_ / "missing", ""), std::invalid_argument);
}

TEST(PagePolicy, TheIssuerOriginAndNoInlineScript) {
  const auto policy = content_security_policy("https://Login.Example.com/realms/natter", "");
  EXPECT_NE(policy.find("script-src 'self';"), std::string::npos);
  EXPECT_NE(policy.find("connect-src 'self' https://login.example.com;"), std::string::npos);
  EXPECT_NE(policy.find("frame-src 'self' https://login.example.com;"), std::string::npos);
  EXPECT_NE(policy.find("form-action 'self' https://login.example.com"), std::string::npos);
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos);
  const auto dev = content_security_policy("", "https://chat.example.com/");
  EXPECT_NE(dev.find("connect-src 'self' wss://chat.example.com;"), std::string::npos);
  EXPECT_EQ(origin_of("not a url"), "");
  EXPECT_EQ(origin_of("http://127.0.0.1:9000/realms/x"), "http://127.0.0.1:9000");
  EXPECT_EQ(origin_of("https://evil.example'; script-src *"), "");
}

}  // namespace
}  // namespace natter::web
