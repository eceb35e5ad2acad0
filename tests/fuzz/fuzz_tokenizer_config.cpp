// tokenizer_config.json beside a served model: its chat_template (a string, or a
// list of named templates) recognised as one of the built-in templates. A file
// that is not one the server understands means "no template", never an error, so
// nothing at all may be thrown; a recognised template must render a conversation.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "serve/chat_template.h"

namespace {

namespace fs = std::filesystem;

const fs::path& model_dir() {
  static const fs::path dir = [] {
    fs::path path = fs::temp_directory_path() / ("fuzz_tokenizer_config-" + std::to_string(getpid()));
    fs::create_directories(path);
    std::atexit([] { fs::remove_all(model_dir()); });
    return path;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::ofstream(model_dir() / "tokenizer_config.json", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    const std::optional<gs::serve::ChatTemplate> recognised = gs::serve::chat_template_of_model(model_dir());
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
