#include "serve/chat_template.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/check.h"

namespace gs::serve {

ChatTemplate chat_template_from_name(const std::string& name) {
  if (name == "llama-2") return ChatTemplate::llama2;
  if (name == "llama-3") return ChatTemplate::llama3;
  if (name == "chatml") return ChatTemplate::chatml;
  if (name == "mistral") return ChatTemplate::mistral;
  GS_FAIL("unknown chat template '" << name << "': use llama-2, llama-3, chatml or mistral");
}

std::string chat_template_name(ChatTemplate t) {
  switch (t) {
    case ChatTemplate::llama2: return "llama-2";
    case ChatTemplate::llama3: return "llama-3";
    case ChatTemplate::chatml: return "chatml";
    case ChatTemplate::mistral: return "mistral";
  }
  return "unknown";
}

std::optional<ChatTemplate> recognise_chat_template(const std::string& jinja) {
  const auto has = [&](const char* marker) { return jinja.find(marker) != std::string::npos; };
  if (has("<|start_header_id|>")) return ChatTemplate::llama3;
  if (has("<|im_start|>")) return ChatTemplate::chatml;
  if (has("<<SYS>>")) return ChatTemplate::llama2;
  if (has("[INST]")) return ChatTemplate::mistral;
  return std::nullopt;
}

std::optional<ChatTemplate> chat_template_of_model(const std::filesystem::path& model_path) {
  const std::filesystem::path dir =
      std::filesystem::is_directory(model_path) ? model_path : model_path.parent_path();
  std::ifstream in(dir / "tokenizer_config.json");
  if (!in) return std::nullopt;
  const nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("chat_template")) return std::nullopt;
  const nlohmann::json& t = config["chat_template"];
  if (t.is_string()) return recognise_chat_template(t.get<std::string>());
  // A list of named templates: the "default" one.
  if (t.is_array())
    for (const nlohmann::json& named : t)
      if (named.is_object() && named.contains("name") && named["name"] == "default" && named.contains("template") &&
          named["template"].is_string())
        return recognise_chat_template(named["template"].get<std::string>());
  return std::nullopt;
}

namespace {

// [INST] turns; llama-2 puts the system prompt in <<SYS>> inside the first turn,
// mistral in front of the first user message.
std::string render_inst(const std::vector<ChatMessage>& messages, bool sys_block) {
  std::string system, out;
  bool first_user = true;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      system += (system.empty() ? "" : "\n") + m.content;
    } else if (m.role == "user") {
      std::string content = m.content;
      if (first_user && !system.empty())
        content = sys_block ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content : system + "\n\n" + content;
      first_user = false;
      out += "[INST] " + content + " [/INST]";
    } else {
      out += " " + m.content + " </s>";
    }
  }
  return out;
}

}  // namespace

std::string render_chat(ChatTemplate t, const std::vector<ChatMessage>& messages) {
  std::string out;
  switch (t) {
    case ChatTemplate::llama2: return render_inst(messages, true);
    case ChatTemplate::mistral: return render_inst(messages, false);
    case ChatTemplate::llama3:
      for (const ChatMessage& m : messages)
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
      return out + "<|start_header_id|>assistant<|end_header_id|>\n\n";
    case ChatTemplate::chatml:
      for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      return out + "<|im_start|>assistant\n";
  }
  return out;
}

}  // namespace gs::serve
