"""Encodes text with a checkpoint's tokenizer.json when it is a byte-level BPE (GPT-2, Llama 3, Qwen2 style).

Only used to record golden prompt ids; other tokenizer kinds return None and goldens fall back to id prompts.
"""
import bpe


class ByteLevelBpe(bpe.Tokenizer):
    def __init__(self, tok):
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in tok["model"]["merges"]]
        super().__init__(merges)
        self.vocab = dict(tok["model"]["vocab"])
        self.inverse = {i: s for s, i in self.vocab.items()}
        self.eos_id = -1

    def _bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            ranked = [(self.ranks.get((parts[i], parts[i + 1])), i) for i in range(len(parts) - 1)]
            ranked = [r for r in ranked if r[0] is not None]
            if not ranked:
                break
            _, i = min(ranked)
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        return [self.vocab[p] for p in parts]


def byte_level(tok):
    pre = tok.get("pre_tokenizer") or {}
    kinds = [pre.get("type")] + [p.get("type") for p in pre.get("pretokenizers", [])]
    if (tok.get("model") or {}).get("type") != "BPE" or "ByteLevel" not in kinds or tok.get("normalizer"):
        return None
    if pre.get("type") == "Sequence":
        return None  # Llama 3 / Qwen2 use their own split regex first; ids would not be reproducible here
    return ByteLevelBpe(tok)


def token_text(tok, token_id):
    for t in tok.get("added_tokens", []):
        if t["id"] == token_id:
            return t["content"]
    vocab = tok["model"].get("vocab")
    if isinstance(vocab, dict):
        return next((s for s, i in vocab.items() if i == token_id), None)
    if isinstance(vocab, list) and 0 <= token_id < len(vocab):
        return vocab[token_id][0]  # unigram: [piece, score]
    return None
