// printf_text: what std::snprintf writes into a buffer large enough, at any length.
#include "common/text.h"

#include <gtest/gtest.h>

namespace gs {
namespace {

TEST(PrintfText, FormatsAsPrintfDoes) {
  EXPECT_EQ(printf_text("%5.1f|%-4d|%s|%%", 3.14159, 42, "ab"), "  3.1|42  |ab|%");
  EXPECT_EQ(printf_text("%.3g GB", 2.7649), "2.76 GB");
  EXPECT_EQ(printf_text("plain"), "plain");
  EXPECT_EQ(printf_text("%s", ""), "");
}

TEST(PrintfText, KeepsTextLongerThanAnyFixedBuffer) {
  const std::string long_piece(5000, 'x');
  const std::string text = printf_text("<%s>%d", long_piece.c_str(), 7);
  EXPECT_EQ(text.size(), 5003u);
  EXPECT_EQ(text, "<" + long_piece + ">7");
}

}  // namespace
}  // namespace gs
