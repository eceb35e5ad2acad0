// Errors for every layer of groupshard.
//
// A failed check throws gs::Error carrying a message for the user (what is wrong
// and, where useful, how to fix it) and the location for developers. The
// launcher catches it, agrees with the other ranks that the job failed, prints
// the message once with rank and host, and exits non-zero on every rank.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace gs {

class Error : public std::runtime_error {
 public:
  Error(std::string message, std::string where = {})
      : std::runtime_error(std::move(message)), where_(std::move(where)) {}
  // "file:line (`expression`)", empty for errors raised without a check.
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

[[noreturn]] inline void throw_check_failure(const char* expression, const char* file, int line,
                                             const std::string& message) {
  std::ostringstream where;
  where << file << ':' << line << " (`" << expression << "`)";
  throw Error(message, where.str());
}

}  // namespace gs

// GS_CHECK(cond, "text " << value << " more"): throws gs::Error when cond is false.
#define GS_CHECK(cond, message)                                                       \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::ostringstream gs_check_stream_;                                            \
      gs_check_stream_ << message;                                                    \
      ::gs::throw_check_failure(#cond, __FILE__, __LINE__, gs_check_stream_.str());   \
    }                                                                                 \
  } while (0)

// GS_FAIL("text " << value): throws gs::Error unconditionally.
#define GS_FAIL(message) GS_CHECK(false, message)
