// The `--prompt-ids 1,403,407` argument of `groupshard generate`: token ids as given.
#pragma once

#include <string>
#include <vector>

namespace gs {

// Comma-separated decimal ints; throws gs::Error quoting the argument and the bad item.
std::vector<int> parse_prompt_ids(const std::string& text);

}  // namespace gs
