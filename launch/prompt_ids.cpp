#include "launch/prompt_ids.h"

#include <sstream>

#include "common/check.h"

namespace gs {

std::vector<int> parse_prompt_ids(const std::string& text) {
  std::vector<int> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    int id = 0;
    try {
      id = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    GS_CHECK(used == item.size() && !item.empty(),
             "--prompt-ids '" << text << "': '" << item << "' is not an integer token id");
    ids.push_back(id);
  }
  return ids;
}

}  // namespace gs
