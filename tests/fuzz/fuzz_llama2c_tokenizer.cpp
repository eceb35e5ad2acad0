// llama2.c tokenizer.bin: max_token_length, then score, length and bytes per
// token; an accepted vocabulary must encode and decode text without faults.
#include "engine/tokenizer/llama2c_tokenizer.h"
#include "tests/fuzz/expected_errors.h"
#include "tests/fuzz/input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = gs::fuzz::input_file(data, size);
  gs::fuzz::expect_only_gs_errors([&] {
    const gs::Llama2cTokenizer tokenizer(path);
    const std::vector<int> ids = tokenizer.encode("Once upon a time, a d\xC3\xB6g\n\xF0\x9F\x99\x82 <0x0A>", true);
    int previous = tokenizer.bos_id();
    for (int id : ids) {
      tokenizer.decode(previous, id);
      previous = id;
    }
    for (int id = 0; id < std::min(tokenizer.vocab_size(), 64); ++id) tokenizer.decode(1, id);
  });
  return 0;
}
