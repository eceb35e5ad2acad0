#include "common/text.h"

#include <cstdarg>
#include <cstdio>

namespace gs {

std::string printf_text(const char* pattern, ...) {
  va_list args, measuring;
  va_start(args, pattern);
  va_copy(measuring, args);
  const int length = std::vsnprintf(nullptr, 0, pattern, measuring);
  va_end(measuring);
  std::string text(length > 0 ? length : 0, '\0');
  if (length > 0) std::vsnprintf(text.data(), text.size() + 1, pattern, args);
  va_end(args);
  return text;
}

}  // namespace gs
