// The pairs file of a T5 eval (`eval --text pairs.jsonl`): one JSON object with
// string "input" and "target" per line. Every line of an accepted file that is not
// blank must be one of the pairs, so the count must match.
#include <algorithm>
#include <string>

#include "launch/eval_pairs.h"
#include "tests/fuzz/expected_errors.h"
#include "tests/fuzz/input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gs::fuzz::input_file(data, size);
  gs::fuzz::expect_only_gs_errors([&] {
    const std::vector<gs::EvalPair> pairs = gs::read_eval_pairs(path);
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::size_t lines = 0;
    for (std::size_t begin = 0; begin < text.size();) {
      const std::size_t end = std::min(text.find('\n', begin), text.size());
      if (text.find_first_not_of(" \t\r", begin) < end) ++lines;
      begin = end + 1;
    }
    if (pairs.size() != lines) {
      std::fprintf(stderr, "fuzz: %zu pairs accepted from %zu non-blank lines\n", pairs.size(), lines);
      std::abort();
    }
  });
  return 0;
}
