// Chat templates: how a list of messages becomes one prompt text for the models
// the built-in templates cover. A template is named with --chat-template (or
// server.chat_template) or recognised from the chat_template of the model's
// tokenizer_config.json.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "serve/api_request.h"

namespace gs::serve {

enum class ChatTemplate { llama2, llama3, chatml, mistral };

// "llama-2", "llama-3", "chatml", "mistral"; throws gs::Error naming the valid ones.
ChatTemplate chat_template_from_name(const std::string& name);
std::string chat_template_name(ChatTemplate chat_template);

// The template whose markers the Jinja text of a tokenizer_config.json uses, if any.
std::optional<ChatTemplate> recognise_chat_template(const std::string& jinja);
// tokenizer_config.json in model_dir (or beside a model file), recognised; none when
// the file or its chat_template is absent or unrecognised.
std::optional<ChatTemplate> chat_template_of_model(const std::filesystem::path& model_path);

// The prompt text (the tokenizer adds BOS) ending where the assistant's answer begins.
std::string render_chat(ChatTemplate chat_template, const std::vector<ChatMessage>& messages);

}  // namespace gs::serve
