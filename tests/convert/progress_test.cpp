// The progress reporter's two styles, with a fake clock so rates and ETAs are
// exact, written to a temporary file and read back.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "launch/progress.h"

namespace gs {
namespace {

class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override { file_ = std::tmpfile(); ASSERT_NE(file_, nullptr); }
  void TearDown() override { std::fclose(file_); }

  ProgressOptions options(ProgressStyle style, std::string unit = "B") {
    ProgressOptions o("convert", std::move(unit));
    o.style = style;
    o.out = file_;
    o.clock = [this] { return now_; };
    return o;
  }
  std::string written() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    for (int c; (c = std::fgetc(file_)) != EOF;) text += static_cast<char>(c);
    return text;
  }

  std::FILE* file_ = nullptr;
  double now_ = 100.0;  // any start: only differences count
};

TEST_F(ProgressTest, LinesOncePerTenthThenASummary) {
  {
    Progress progress(10 * 1024 * 1024, options(ProgressStyle::lines));
    for (int step = 1; step <= 40; ++step) {  // 40 updates of 256 KiB, one per second
      now_ += 1.0;
      progress.add(256 * 1024);
    }
    progress.finish();
    progress.finish();  // once only
  }
  const std::string text = written();
  EXPECT_EQ(text,
            "convert:  10% (1.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 36s\n"
            "convert:  20% (2.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 32s\n"
            "convert:  30% (3.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 28s\n"
            "convert:  40% (4.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 24s\n"
            "convert:  50% (5.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 20s\n"
            "convert:  60% (6.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 16s\n"
            "convert:  70% (7.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 12s\n"
            "convert:  80% (8.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 8s\n"
            "convert:  90% (9.0 MiB of 10.0 MiB), 256.0 KiB/s, ETA 4s\n"
            "convert: 100% (10.0 MiB) in 40.00s, 256.0 KiB/s\n");
}

TEST_F(ProgressTest, LinesSkipTenthsJumpedOverAndCountOtherUnits) {
  {
    Progress progress(200, options(ProgressStyle::lines, "tokens"));
    now_ += 2.0;
    progress.update(130);  // past three tenths at once: one line
    now_ += 2.0;
    progress.update(150);
    progress.finish();
  }
  EXPECT_EQ(written(),
            "convert:  65% (130 tokens of 200 tokens), 65.0 tokens/s, ETA 1s\n"
            "convert:  75% (150 tokens of 200 tokens), 37.5 tokens/s, ETA 1s\n"
            "convert: 75% (150 tokens) in 4.00s, 37.5 tokens/s\n");
}

TEST_F(ProgressTest, BarRedrawsInPlaceAtMostTenTimesASecond) {
  {
    Progress progress(1000, options(ProgressStyle::bar));
    progress.update(100);  // first draw
    now_ += 0.01;
    progress.update(200);  // too soon: not drawn
    now_ += 0.5;
    progress.update(500);
    progress.finish();
  }
  const std::string text = written();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3) << text;  // 100, 500 and the final draw
  EXPECT_EQ(text.find("200 B"), std::string::npos) << text;
  EXPECT_NE(text.find("\rconvert [###############...............]  50% (500 B of 1000 B)"),
            std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST_F(ProgressTest, UnfinishedBarEndsItsLine) {
  {
    Progress progress(1000, options(ProgressStyle::bar));
    progress.update(10);
  }  // as when an error unwinds past it
  EXPECT_EQ(written().back(), '\n');
}

TEST_F(ProgressTest, AutomaticStyleWritesLinesToAFile) {
  {
    Progress progress(10, options(ProgressStyle::automatic));
    progress.update(5);
    progress.finish();
  }
  EXPECT_EQ(written().find('\r'), std::string::npos);
}

}  // namespace
}  // namespace gs
