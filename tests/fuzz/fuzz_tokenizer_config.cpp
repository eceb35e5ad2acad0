// tokenizer_config.json beside a served model: its chat_template (a string, or a
// list of named templates) recognised as one of the built-in templates. A file
// that is not one the server understands means "no template", never an error, so
// nothing at all may be thrown; a recognised template must render a conversation.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "serve/chat_template.h"
#include "tests/fuzz/input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gs::fuzz::write_file(gs::fuzz::scratch_dir() / "tokenizer_config.json", data, size);
  try {
    const std::optional<gs::serve::ChatTemplate> recognised = gs::serve::chat_template_of_model(gs::fuzz::scratch_dir());
    if (recognised) {
      const std::vector<gs::serve::ChatMessage> messages = {{"system", "Be brief."}, {"user", "Hi"}};
      if (gs::serve::render_chat(*recognised, messages).find("Hi") == std::string::npos) {
        std::fprintf(stderr, "fuzz: the recognised template lost the user's message\n");
        std::abort();
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: reading tokenizer_config.json threw: %s\n", e.what());
    std::abort();
  }
  return 0;
}
