"""llama2.c's tokenizer.bin and its encode(), as the engine's Llama2cTokenizer
runs it: a dummy-prefix space, one token per UTF-8 codepoint (byte fallback
<0x00>.. at id 3 + byte), then repeatedly merge the adjacent pair whose
concatenation is the best-scoring piece, leftmost on ties. A heap of candidate
pairs makes that O(n log n) instead of run.c's quadratic rescans.
"""
import heapq
import struct

BOS = 1


class Tokenizer:
    def __init__(self, path):
        data = open(path, "rb").read()
        self.pieces, self.scores, at = [], [], 4  # skip max_token_length
        while at < len(data):
            score, length = struct.unpack_from("<fi", data, at)
            self.pieces.append(data[at + 8:at + 8 + length])
            self.scores.append(score)
            at += 8 + length
        self.ids = {}
        for i, piece in enumerate(self.pieces):
            self.ids.setdefault(piece, i)  # the first id of a piece, as the engine's lookup finds

    def split_codepoints(self, text):
        tokens = [self.ids[b" "]]
        for char in text:
            raw = char.encode("utf-8")
            tokens += [self.ids[raw]] if raw in self.ids else [3 + byte for byte in raw]
        return tokens

    def encode(self, text, bos):
        if not text:
            return [BOS] if bos else []
        tok = self.split_codepoints(text)
        n = len(tok)
        nxt, prv, alive = list(range(1, n + 1)), list(range(-1, n - 1)), [True] * n
        heap = []

        def push(i):
            j = nxt[i]
            if j < n:
                merged = self.ids.get(self.pieces[tok[i]] + self.pieces[tok[j]])
                if merged is not None:
                    heapq.heappush(heap, (-self.scores[merged], i, tok[i], tok[j], merged))

        for i in range(n - 1):
            push(i)
        while heap:
            _, i, left, right, merged = heapq.heappop(heap)
            j = nxt[i] if alive[i] else n
            if j >= n or tok[i] != left or tok[j] != right:
                continue  # stale: one side was merged away since this pair was pushed
            tok[i], alive[j] = merged, False
            nxt[i] = nxt[j]
            if nxt[j] < n:
                prv[nxt[j]] = i
            if prv[i] >= 0:
                push(prv[i])
            push(i)
        ids = [tok[i] for i in range(n) if alive[i]]
        return [BOS] + ids if bos else ids


def encode_stories(path, tokenizer):
    """Training stream as the original model's trainer built it: each story
    (separated by <|endoftext|> lines) stripped, encoded with BOS, concatenated."""
    text = open(path, encoding="utf-8", newline="").read()
    stream = []
    for story in text.split("<|endoftext|>"):
        if story.strip():
            stream += tokenizer.encode(story.strip(), bos=True)
    return stream
