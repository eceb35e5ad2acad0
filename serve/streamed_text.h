// StreamedText: the answer's text as tokens arrive, cut at the first stop string.
//
// Text is sent only once it cannot be the start of a stop string and ends on a
// whole UTF-8 character (a character may span several byte tokens); the rest is
// held back until the next token or the end.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gs::serve {

class StreamedText {
 public:
  explicit StreamedText(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  // Appends a token's text; returns the text that may be sent now.
  std::string push(std::string_view piece);
  // At the end of the sequence: the text held back (nothing after a stop string).
  std::string finish();
  // A stop string has appeared: the sequence should end.
  bool stopped() const { return stopped_; }
  const std::string& text() const { return sent_; }  // all text sent so far

 private:
  std::string take(std::size_t n);

  std::vector<std::string> stops_;
  std::string pending_;
  std::string sent_;
  bool stopped_ = false;
};

}  // namespace gs::serve
