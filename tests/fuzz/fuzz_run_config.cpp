// The YAML run config (--config): sections, keys, types, relative paths.
#include "launch/run_config.h"
#include "tests/fuzz/expected_errors.h"
#include "tests/fuzz/input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gs::fuzz::input_file(data, size);
  gs::fuzz::expect_only_gs_errors([&] {
    gs::RunConfig config;
    gs::load_run_config(path, config);
    gs::run_config_to_yaml(config);
  });
  return 0;
}
