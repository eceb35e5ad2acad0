// The pairs file of a T5 eval: one JSON object {"input": TEXT, "target": TEXT} per
// line (JSONL, as Hugging Face datasets export them); blank lines are skipped.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace gs {

struct EvalPair {
  std::string input;   // the encoder's text
  std::string target;  // the text whose teacher-forced NLL is measured
};

// Every pair of the file at path, in order. Throws gs::Error naming the file and
// line of the first bad line, or saying the file holds no pairs.
std::vector<EvalPair> read_eval_pairs(const std::string& path);

}  // namespace gs
