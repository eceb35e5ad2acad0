// A parser may reject its input only with gs::Error (a message for the user).
// Any other exception (a JSON type error, std::out_of_range, bad_alloc) would
// reach the user as an "internal error", so it is a finding: abort, and
// libFuzzer saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "common/check.h"

namespace gs::fuzz {

template <typename Body>
void expect_only_gs_errors(Body&& body) {
  try {
    body();
  } catch (const gs::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: exception other than gs::Error: %s\n", e.what());
    std::abort();
  }
}

}  // namespace gs::fuzz
