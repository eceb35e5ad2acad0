// `generate --prompt-ids 1,403,407`.
#include "launch/prompt_ids.h"
#include "tests/fuzz/expected_errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  gs::fuzz::expect_only_gs_errors([&] { gs::parse_prompt_ids(text); });
  return 0;
}
