// llama2.c .bin: the 7-int header and the file size it implies; an accepted
// file's every tensor view must lie inside it.
#include "engine/checkpoint/llama2c_reader.h"
#include "engine/checkpoint/weight_inventory.h"
#include "tests/fuzz/expected_errors.h"
#include "tests/fuzz/input_file.h"
#include "tests/fuzz/touch_view.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gs::fuzz::input_file(data, size);
  gs::fuzz::expect_only_gs_errors([&] {
    const auto source = gs::open_llama2c_checkpoint(path);
    for (const gs::WeightId& id : gs::model_weights(source->config()))
      gs::fuzz::touch_view(source->tensor(id.kind, id.layer));
  });
  return 0;
}
