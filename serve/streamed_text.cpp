#include "serve/streamed_text.h"

#include <algorithm>

namespace gs::serve {

namespace {
// Bytes at the end of text that start a UTF-8 character not yet complete.
std::size_t incomplete_utf8_tail(const std::string& text) {
  const std::size_t n = text.size();
  for (std::size_t back = 1; back <= std::min<std::size_t>(3, n); ++back) {
    const unsigned char c = static_cast<unsigned char>(text[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}
}  // namespace

std::string StreamedText::take(std::size_t n) {
  std::string out = pending_.substr(0, n);
  pending_.erase(0, n);
  sent_ += out;
  return out;
}

std::string StreamedText::push(std::string_view piece) {
  if (stopped_) return "";
  pending_ += piece;
  std::size_t first_stop = std::string::npos;
  for (const std::string& s : stops_) first_stop = std::min(first_stop, pending_.find(s));
  if (first_stop != std::string::npos) {
    stopped_ = true;
    std::string out = take(first_stop);
    pending_.clear();
    return out;
  }
  // Hold back the longest tail that begins some stop string.
  std::size_t hold = 0;
  for (const std::string& s : stops_)
    for (std::size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k)
      if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
  std::size_t ready = pending_.size() - hold;
  ready -= incomplete_utf8_tail(pending_.substr(0, ready));
  return take(ready);
}

std::string StreamedText::finish() {
  if (stopped_) return "";
  return take(pending_.size());
}

}  // namespace gs::serve
