// Chat templates: each built-in renders a conversation as its model family
// expects, and the Jinja templates of real tokenizer_config.json files are recognised.
#include "serve/chat_template.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/check.h"

namespace gs::serve {
namespace {

const std::vector<ChatMessage> kChat = {{"system", "Be kind."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Story?"}};

TEST(ChatTemplate, RendersEachFamily) {
  EXPECT_EQ(render_chat(ChatTemplate::chatml, kChat),
            "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nStory?<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render_chat(ChatTemplate::llama3, {{"user", "Hi"}}),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(render_chat(ChatTemplate::llama2, kChat),
            "[INST] <<SYS>>\nBe kind.\n<</SYS>>\n\nHi [/INST] Hello! </s>[INST] Story? [/INST]");
  EXPECT_EQ(render_chat(ChatTemplate::mistral, kChat), "[INST] Be kind.\n\nHi [/INST] Hello! </s>[INST] Story? [/INST]");
}

TEST(ChatTemplate, NamesRoundTripAndUnknownNamesAreRefused) {
  for (const char* name : {"llama-2", "llama-3", "chatml", "mistral"})
    EXPECT_EQ(chat_template_name(chat_template_from_name(name)), name);
  try {
    chat_template_from_name("vicuna");
    FAIL() << "accepted vicuna";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("llama-2, llama-3, chatml or mistral"), std::string::npos);
  }
}

TEST(ChatTemplate, RecognisesTemplatesFromTokenizerConfig) {
  EXPECT_EQ(recognise_chat_template("{% for m in messages %}<|im_start|>{{ m.role }}"), ChatTemplate::chatml);
  EXPECT_EQ(recognise_chat_template("{{ '<|start_header_id|>' + message['role'] }}"), ChatTemplate::llama3);
  EXPECT_EQ(recognise_chat_template("{{ '[INST] <<SYS>>\\n' + system }}"), ChatTemplate::llama2);
  EXPECT_EQ(recognise_chat_template("{{ '[INST] ' + message['content'] + ' [/INST]' }}"), ChatTemplate::mistral);
  EXPECT_EQ(recognise_chat_template("{{ messages }}"), std::nullopt);

  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "gs_chat_template_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer_config.json") << R"({"chat_template": "<|im_start|>{{ role }}"})";
  EXPECT_EQ(chat_template_of_model(dir), ChatTemplate::chatml);
  EXPECT_EQ(chat_template_of_model(dir / "model.bin"), ChatTemplate::chatml);
  std::ofstream(dir / "tokenizer_config.json") << R"({"bos_token": "<s>"})";
  EXPECT_EQ(chat_template_of_model(dir), std::nullopt);
  // A list of named templates: the "default" one; a name that is not a string is
  // not "default" (found by fuzzing: it threw a JSON type error).
  std::ofstream(dir / "tokenizer_config.json")
      << R"({"chat_template": [{"name": "tool_use", "template": "[INST]"}, {"name": "default", "template": "<|im_start|>"}]})";
  EXPECT_EQ(chat_template_of_model(dir), ChatTemplate::chatml);
  std::ofstream(dir / "tokenizer_config.json") << R"({"chat_template": [{"name": 1, "template": "<|im_start|>"}]})";
  EXPECT_EQ(chat_template_of_model(dir), std::nullopt);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(chat_template_of_model(dir), std::nullopt);
}

}  // namespace
}  // namespace gs::serve
