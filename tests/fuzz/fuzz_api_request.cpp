// The bodies of POST /v1/completions and /v1/chat/completions, as any client may
// send them. The parser may refuse a body only with ApiError (a 4xx for the
// client); any other exception would be a 500, so it is a finding.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "serve/api_error.h"
#include "serve/api_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const gs::serve::ApiDefaults defaults = {"stories260K", 16, {}};
  for (const bool chat : {false, true}) {
    try {
      const gs::serve::ApiRequest r = chat ? gs::serve::parse_chat_request(body, defaults)
                                           : gs::serve::parse_completion_request(body, defaults);
      if (r.max_tokens && *r.max_tokens < 1) std::abort();  // the parser promises max_tokens >= 1
    } catch (const gs::serve::ApiError& e) {
      if (e.status() < 400 || e.status() >= 500) std::abort();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz: exception other than ApiError: %s\n", e.what());
      std::abort();
    }
  }
  return 0;
}
