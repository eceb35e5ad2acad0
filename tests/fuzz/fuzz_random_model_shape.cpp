// `bench --random-model h=8,g=2,d=8,layers=2,ffn=48,vocab=64`, or `t5:h=..,g=..,...`
// for a random T5 (chosen by the prefix, as the bench chooses): an accepted shape
// must give a valid model config and print back to text that parses the same.
#include "bench/random_model_shape.h"
#include "engine/t5/t5_random_checkpoint.h"
#include "tests/fuzz/expected_errors.h"

namespace {

void round_trip_failed() {
  std::fprintf(stderr, "fuzz: --random-model text does not round-trip\n");
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  gs::fuzz::expect_only_gs_errors([&] {
    if (text.rfind("t5:", 0) == 0) {
      const gs::T5RandomShape shape = gs::parse_t5_random_shape(text);
      shape.config(256).validate("fuzz --random-model");
      if (gs::parse_t5_random_shape(shape.text()).text() != shape.text()) round_trip_failed();
      return;
    }
    const gs::bench::RandomModelShape shape = gs::bench::parse_random_model_shape(text);
    shape.config(256).validate("fuzz --random-model");
    if (gs::bench::parse_random_model_shape(shape.text()).text() != shape.text()) round_trip_failed();
  });
  return 0;
}
