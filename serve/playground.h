// The playground page served at GET /: plain HTML and JavaScript, no external
// resources. It streams /v1/completions and shows the answer and tokens/s.
// Query parameters prefill the form (prompt, max_tokens, temperature, top_p, top_k,
// seed, stop, api_key); autorun=1 starts at once (the headless-browser test uses it).
#pragma once

namespace gs::serve {

const char* playground_html();

}  // namespace gs::serve
