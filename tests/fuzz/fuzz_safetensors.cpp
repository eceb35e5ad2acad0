// safetensors: the 8-byte header length, the JSON header and the tensor table.
#include "engine/checkpoint/safetensors_reader.h"
#include "tests/fuzz/expected_errors.h"
#include "tests/fuzz/input_file.h"
#include "tests/fuzz/touch_view.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gs::fuzz::input_file(data, size);
  gs::fuzz::expect_only_gs_errors([&] {
    gs::SafetensorsFile file(path);
    for (const auto& [name, view] : file.tensors()) gs::fuzz::touch_view(view);
  });
  return 0;
}
