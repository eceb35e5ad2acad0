// StreamedText: stop strings cut the answer wherever token boundaries fall, text
// that may begin a stop string waits, and no UTF-8 character is split.
#include "serve/streamed_text.h"

#include <gtest/gtest.h>

namespace gs::serve {
namespace {

std::string stream(StreamedText& t, const std::vector<std::string>& pieces) {
  std::string out;
  for (const std::string& p : pieces) out += t.push(p);
  return out + t.finish();
}

TEST(StreamedText, PassesTextThroughWithoutStops) {
  StreamedText t({});
  EXPECT_EQ(t.push("Once"), "Once");
  EXPECT_EQ(t.push(" upon"), " upon");
  EXPECT_EQ(t.finish(), "");
  EXPECT_FALSE(t.stopped());
}

TEST(StreamedText, CutsAtAStopStringSplitOverTokens) {
  StreamedText t({"The end"});
  EXPECT_EQ(t.push("happy. Th"), "happy. ");  // "Th" may begin the stop string
  EXPECT_EQ(t.push("e e"), "");
  EXPECT_EQ(t.push("nd! More"), "");
  EXPECT_TRUE(t.stopped());
  EXPECT_EQ(t.finish(), "");
  EXPECT_EQ(t.text(), "happy. ");
}

TEST(StreamedText, ReleasesHeldTextThatDidNotBecomeAStop) {
  StreamedText t({"\n\n", "STOP"});
  EXPECT_EQ(stream(t, {"a\n", "b", "ST", "OR", "Y"}), "a\nbSTORY");
  EXPECT_FALSE(t.stopped());
}

TEST(StreamedText, TheEarliestOfSeveralStopsWins) {
  StreamedText t({"dog", "cat"});
  EXPECT_EQ(stream(t, {"a cat and a dog"}), "a ");
}

TEST(StreamedText, KeepsMultiByteCharactersWhole) {
  StreamedText t({});
  const std::string e_acute = "\xC3\xA9";  // é as two byte tokens
  EXPECT_EQ(t.push("caf"), "caf");
  EXPECT_EQ(t.push(e_acute.substr(0, 1)), "");
  EXPECT_EQ(t.push(e_acute.substr(1)), e_acute);
  const std::string emoji = "\xF0\x9F\x98\x80";
  EXPECT_EQ(t.push(emoji.substr(0, 2)), "");
  EXPECT_EQ(t.push(emoji.substr(2, 1)), "");
  EXPECT_EQ(t.push(emoji.substr(3) + "!"), emoji + "!");
}

}  // namespace
}  // namespace gs::serve
