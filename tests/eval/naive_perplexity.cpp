// naive_perplexity MODEL TOKENIZER TEXT MAX_TOKENS CONTEXT: the perplexity
// `groupshard eval` should report, from the test's own double-precision forward
// pass (tests/engine/naive_llama) and its own windowing and log-softmax: the text
// encoded as a prompt without BOS, cut to MAX_TOKENS, in non-overlapping windows
// of CONTEXT tokens that each start from BOS. Prints the perplexity.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/checkpoint/dense_weights.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/engine/naive_llama.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: naive_perplexity MODEL TOKENIZER TEXT MAX_TOKENS CONTEXT\n");
    return 2;
  }
  const gs::DenseWeights weights = gs::read_dense_weights(*gs::open_checkpoint(argv[1]));
  std::ifstream file(argv[3]);
  std::stringstream text;
  text << file.rdbuf();
  std::vector<int> tokens = gs::open_tokenizer(argv[2])->encode(text.str(), false);
  tokens.resize(std::min<std::size_t>(tokens.size(), std::stoul(argv[4])));
  const std::size_t context = std::stoul(argv[5]);

  double total = 0.0;
  for (std::size_t begin = 0; begin < tokens.size(); begin += context) {
    const std::size_t end = std::min(tokens.size(), begin + context);
    std::vector<int> input = {weights.config.bos_id};
    input.insert(input.end(), tokens.begin() + begin, tokens.begin() + end - 1);
    const std::vector<std::vector<double>> logits = gs::testing::naive_logits(weights, input);
    for (std::size_t t = 0; t < input.size(); ++t) {
      double sum = 0.0;
      for (double x : logits[t]) sum += std::exp(x);
      total += std::log(sum) - logits[t][tokens[begin + t]];
    }
  }
  std::printf("%.9f\n", std::exp(total / static_cast<double>(tokens.size())));
  return 0;
}
