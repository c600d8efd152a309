// Base64url: round trips over every length remainder, and the strict decoder's refusals
// (padding, foreign characters, impossible lengths, non-zero leftover bits).
#include "auth/base64url.hpp"

#include <gtest/gtest.h>

namespace natter::auth {
namespace {

TEST(Base64url, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff\xfe"), "-__-");
}

TEST(Base64url, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes += static_cast<char>(i);
    const auto decoded = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, bytes);
  }
}

TEST(Base64url, RefusesWhatIsNotCanonicalBase64url) {
  EXPECT_FALSE(base64url_decode("Zg=="));    // padding
  EXPECT_FALSE(base64url_decode("Zm9v+A"));  // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9v/A"));
  EXPECT_FALSE(base64url_decode("Zm 9v"));  // whitespace
  EXPECT_FALSE(base64url_decode("Z"));      // a length no encoder produces
  EXPECT_FALSE(base64url_decode("Zh"));     // leftover bits set ("f" is "Zg")
  EXPECT_FALSE(base64url_decode(std::string_view("Zg\0", 3)));
  EXPECT_TRUE(base64url_decode(""));
}

}  // namespace
}  // namespace natter::auth
