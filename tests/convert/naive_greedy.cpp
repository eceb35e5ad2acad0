// naive_greedy MODEL TOKENIZER PROMPT N: the N token ids greedy decoding should
// give after PROMPT (encoded with BOS, as `generate --prompt` does), from the
// test's own double-precision forward pass (tests/engine/naive_llama), without
// stopping at EOS. Prints them comma-separated.
#include <algorithm>
#include <cstdio>
#include <string>

#include "engine/checkpoint/dense_weights.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/engine/naive_llama.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: naive_greedy MODEL TOKENIZER PROMPT N\n");
    return 2;
  }
  const gs::DenseWeights weights = gs::read_dense_weights(*gs::open_checkpoint(argv[1]));
  std::vector<int> tokens = gs::open_tokenizer(argv[2])->encode(argv[3], true);
  std::string ids;
  for (int step = 0, n = std::stoi(argv[4]); step < n; ++step) {
    const std::vector<double> logits = gs::testing::naive_next_logits(weights, tokens);
    const int next = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    tokens.push_back(next);
    ids += (step ? "," : "") + std::to_string(next);
  }
  std::printf("%s\n", ids.c_str());
  return 0;
}
