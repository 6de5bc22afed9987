// The one codec module: each encoding round-trips and refuses what its callers must not accept.
#include "common/codec.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace parley::common;

TEST(codec, hex_round_trips_every_byte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += char(i);
  auto hex = hex_encode(all);
  EXPECT_EQ(hex.substr(0, 8), "00010203");
  EXPECT_EQ(hex.substr(hex.size() - 4), "feff");
  EXPECT_EQ(hex_decode(hex), all);
  EXPECT_EQ(hex_decode("FEff"), std::string("\xfe\xff"));
}

TEST(codec, hex_decode_into_a_buffer_takes_exactly_its_size) {
  unsigned char out[2] = {0, 0};
  ASSERT_TRUE(hex_decode("fEff", out, sizeof out));
  EXPECT_EQ(out[0], 0xfe);
  EXPECT_EQ(out[1], 0xff);
  EXPECT_FALSE(hex_decode("feff00", out, sizeof out));  // longer than the buffer
  EXPECT_FALSE(hex_decode("fe", out, sizeof out));      // shorter
  EXPECT_FALSE(hex_decode("fegg", out, sizeof out));
}

TEST(codec, hex_decode_refuses_odd_length_and_stray_characters) {
  EXPECT_FALSE(hex_decode("abc").has_value());
  EXPECT_FALSE(hex_decode("zz").has_value());
  EXPECT_EQ(hex_decode(""), "");
}

TEST(codec, base64_strict_round_trips_and_refuses_anything_not_written_by_encode) {
  for (const std::string& s :
       {std::string(), std::string("h"), std::string("he"), std::string("hel"), std::string("hell"),
        std::string("hello"), std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64_decode_strict(base64_encode(s)), s) << s;
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(base64_decode_strict("aGVsbG8").has_value());   // padding missing
  EXPECT_FALSE(base64_decode_strict("aGVsbG9=").has_value());  // non-zero leftover bits
  EXPECT_FALSE(base64_decode_strict("_-8=").has_value());      // url alphabet
}

TEST(codec, base64_lenient_takes_either_alphabet_and_optional_padding) {
  EXPECT_EQ(base64_decode_lenient("aGVsbG8"), "hello");
  EXPECT_EQ(base64_decode_lenient("_-8="), std::string("\xff\xef", 2));
  EXPECT_EQ(base64_decode_lenient("/+8="), std::string("\xff\xef", 2));
  EXPECT_FALSE(base64_decode_lenient("a").has_value());
}

TEST(codec, base64url_takes_only_the_url_alphabet_unpadded) {
  EXPECT_EQ(base64url_decode("_-8"), std::string("\xff\xef", 2));
  EXPECT_FALSE(base64url_decode("/+8").has_value());
  EXPECT_FALSE(base64url_decode("_-8=").has_value());
  EXPECT_FALSE(base64url_decode("").has_value());
  EXPECT_TRUE(is_base64url_char('-'));
  EXPECT_FALSE(is_base64url_char('\0'));
}

TEST(codec, json_escape_escapes_quotes_backslashes_and_controls_and_keeps_utf8) {
  std::string out;
  json_escape(out, std::string("a\"b\\c\n\x01 ñ", 10));
  EXPECT_EQ(out, "a\\\"b\\\\c\\n\\u0001 ñ");
}
