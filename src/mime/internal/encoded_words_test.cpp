#include "mime/internal/encoded_words.h"

#include <gtest/gtest.h>

namespace sealpost::mime::internal {
namespace {

TEST(EncodedWords, BWordsBecomeQWords) {
  // "ää" then " ää": the first word is padded, as Outlook and GMime write them.
  EXPECT_EQ(NormalizeEncodedWords("=?UTF-8?B?w6TDpA==?= =?utf-8?b?IMOkw6Q=?="),
            "=?UTF-8?Q?=C3=A4=C3=A4?= =?utf-8?Q?=20=C3=A4=C3=A4?=");
  EXPECT_EQ(NormalizeEncodedWords("Re: =?ISO-8859-1?B?S/Zsbg==?= x"),
            "Re: =?ISO-8859-1?Q?K=F6ln?= x");
}

TEST(EncodedWords, OtherTextIsLeftAlone) {
  for (const char* text : {"plain", "=?", "=?utf-8?Q?already_q?=", "=?utf-8?B?no end",
                           "=?utf-8?B?with space?=", "a =? b ?= c", "=??B?abc?=", ""}) {
    EXPECT_EQ(NormalizeEncodedWords(text), text) << text;
  }
}

TEST(EncodedWords, EncodeOnlyWhatWouldBeMisread) {
  EXPECT_EQ(EncodeIfAmbiguous("Grüße"), "Grüße");  // GMime encodes this itself
  EXPECT_EQ(EncodeIfAmbiguous("=?utf-8?q?x?="), "=?UTF-8?B?PT91dGYtOD9xP3g/PQ==?=");
  // Long text is split into words at UTF-8 boundaries (45 octets each at most).
  std::string text = "=?";
  for (int i = 0; i < 40; ++i) text += "ä";
  const std::string encoded = EncodeIfAmbiguous(text);
  EXPECT_EQ(encoded.find("=?UTF-8?B?"), 0u);
  EXPECT_NE(encoded.find(" =?UTF-8?B?"), std::string::npos);
  for (size_t start = 0, end; start < encoded.size(); start = end + 1) {
    end = encoded.find(' ', start);
    if (end == std::string::npos) end = encoded.size();
    EXPECT_LE(end - start, 75u);  // RFC 2047 §2
  }
}

}  // namespace
}  // namespace sealpost::mime::internal
