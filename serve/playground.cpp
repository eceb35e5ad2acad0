#include "serve/playground.h"

namespace gs::serve {

const char* playground_html() {
  return R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>groupshard playground</title>
<style>
  body { font-family: sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.4rem; }
  textarea { width: 100%; height: 6rem; font: inherit; }
  fieldset { display: flex; flex-wrap: wrap; gap: 0.8rem; border: 1px solid #ccc; }
  label { display: flex; flex-direction: column; font-size: 0.85rem; }
  input { width: 7rem; }
  #output { white-space: pre-wrap; border: 1px solid #ccc; min-height: 8rem; padding: 0.6rem;
            font-family: serif; font-size: 1.1rem; background: #fafafa; }
  #prompt-echo { color: #777; }
  #status { font-size: 0.85rem; color: #555; margin: 0.4rem 0; }
  button { font-size: 1rem; padding: 0.3rem 1.2rem; }
</style>
</head>
<body>
<h1>groupshard playground</h1>
<textarea id="prompt">Once upon a time</textarea>
<fieldset>
  <label>max_tokens <input id="max_tokens" type="number" value="128" min="1"></label>
  <label>temperature <input id="temperature" type="number" value="0" min="0" max="2" step="0.1"></label>
  <label>top_p <input id="top_p" type="number" value="1" min="0.01" max="1" step="0.05"></label>
  <label>top_k <input id="top_k" type="number" value="0" min="0"></label>
  <label>seed <input id="seed" type="number" value="0"></label>
  <label>stop <input id="stop" type="text" value=""></label>
  <label>API key <input id="api_key" type="password" value=""></label>
</fieldset>
<p><button id="go">Generate</button> <button id="cancel" disabled>Stop</button></p>
<div id="status">ready</div>
<div id="output"><span id="prompt-echo"></span><span id="answer"></span></div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
for (const key of ["prompt", "max_tokens", "temperature", "top_p", "top_k", "seed", "stop", "api_key"])
  if (params.has(key)) $(key).value = params.get(key);
let controller = null;

async function generate() {
  const body = {
    prompt: $("prompt").value, stream: true,
    max_tokens: Number($("max_tokens").value), temperature: Number($("temperature").value),
    top_p: Number($("top_p").value), top_k: Number($("top_k").value), seed: Number($("seed").value),
  };
  if ($("stop").value) body.stop = $("stop").value;
  const headers = {"Content-Type": "application/json"};
  if ($("api_key").value) headers["Authorization"] = "Bearer " + $("api_key").value;
  $("prompt-echo").textContent = body.prompt;
  $("answer").textContent = "";
  $("go").disabled = true;
  $("cancel").disabled = false;
  $("status").textContent = "waiting for the first token...";
  controller = new AbortController();
  const start = performance.now();
  let first = 0, tokens = 0;
  try {
    const response = await fetch("/v1/completions", {method: "POST", headers, body: JSON.stringify(body),
                                                      signal: controller.signal});
    if (!response.ok) {
      const error = await response.json();
      throw new Error(response.status + ": " + error.error.message);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "", finish = null;
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, {stream: true});
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!event.startsWith("data: ")) continue;
        const data = event.slice(6);
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        const choice = chunk.choices[0];
        if (choice.text) {
          if (!first) first = performance.now();
          $("answer").textContent += choice.text;
        }
        if (choice.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
        $("status").textContent = "streaming...";
      }
    }
    const total = (performance.now() - start) / 1000;
    const decode = first ? (performance.now() - first) / 1000 : total;
    const rate = decode > 0 ? (tokens - 1) / decode : 0;
    $("status").textContent = "done (" + finish + "): " + tokens + " tokens, " + rate.toFixed(1) +
        " tokens/s, first token after " + ((first - start) / 1000).toFixed(3) + " s";
  } catch (e) {
    $("status").textContent = e.name === "AbortError" ? "stopped" : "error " + e.message;
  } finally {
    $("go").disabled = false;
    $("cancel").disabled = true;
  }
}
$("go").addEventListener("click", generate);
$("cancel").addEventListener("click", () => controller && controller.abort());
if (params.get("autorun") === "1") generate();
</script>
</body>
</html>
)HTML";
}

}  // namespace gs::serve
