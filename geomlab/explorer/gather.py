"""What the explorer page shows, computed in Python: logits, the map, analogies, the model.

Every function returns plain JSON-able dicts. Score vectors travel as packed float32
(:func:`pack`): the page decodes them and runs softmax itself, on the very scores that
geomlab's own :func:`geomlab.softmax` turns into probabilities.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Sequence

import numpy as np

from .._io import atomic_file
from .._paths import cache_dir
from ..errors import GeomlabError, ParameterError

__all__ = [
    "ANALOGY_POOL",
    "PROMPTS",
    "QUESTIONS",
    "analogies",
    "dials",
    "map_words",
    "model",
    "pack",
    "unpack",
    "word_map",
]

TOP_LABELS = 20  # the best candidates of a distribution are named; the rest travel as scores
ANALOGY_POOL = 30_000  # an analogy's candidates: the most frequent words (word2vec's own tool)
NEIGHBORS = 10
QUESTIONS = (
    ("man", "king", "woman", "queen"),
    ("france", "paris", "italy", "rome"),
    ("japan", "tokyo", "germany", "berlin"),
    ("big", "bigger", "small", "smaller"),
    ("walk", "walked", "swim", "swam"),
    ("good", "better", "bad", "worse"),
    ("brother", "sister", "uncle", "aunt"),
)
PROMPTS = (
    "The capital of France is",
    "The capital of France is Paris, and the capital of Germany is",
    "Once upon a time, there was a",
)
_METHOD_NAMES = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}


# -- packed float32 vectors -----------------------------------------------------------------
def pack(values) -> dict:
    """A float32 vector as ``{"n", "f32"}``: its little-endian bytes regrouped plane by plane
    (every value's first byte, then every second byte, ...), deflated, in base64.

    Regrouping puts the slowly varying sign and exponent bytes of sorted scores side by side,
    so deflate shrinks GloVe's 400,000 scores from 1.6 MB to about 0.56 MB. The page inflates
    them with the browser's own ``DecompressionStream``; the values stay exact.
    """
    a = np.ascontiguousarray(values, dtype="<f4").ravel()
    planes = np.frombuffer(a.tobytes(), np.uint8).reshape(-1, 4).T.tobytes()
    return {"n": int(a.size), "f32": base64.b64encode(zlib.compress(planes, 9)).decode("ascii")}


def unpack(packed: dict) -> np.ndarray:
    """The float32 vector that :func:`pack` stored (what the page decodes)."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(packed["f32"])), np.uint8)
    return raw.reshape(4, packed["n"]).T.copy().view("<f4").ravel()


def _dial(key: str, group: str, label: str, note: str, logits, name: Callable[[int], str]) -> dict:
    """One distribution for the temperature dial: every score, best first; the best named."""
    z = np.asarray(logits, dtype=np.float32)
    order = np.argsort(-z, kind="stable")
    return {
        "id": key,
        "group": group,
        "label": label,
        "note": note,
        "n": int(z.size),
        "labels": [name(int(i)) for i in order[:TOP_LABELS]],
        "logits": pack(z[order]),
    }


# -- the word vectors -----------------------------------------------------------------------
def dials(emb, query: str, candidates: Sequence[str]) -> tuple[list[dict], list[str]]:
    """``query`` over ``candidates`` and over the whole vocabulary, by dot product, as
    :func:`geomlab.preference` scores them (over the vocabulary the query itself is left
    out). Returns the dials, and notes on what could not be shown."""
    from ..geometry.preference import preference

    if query not in emb:
        return [], [f"the dial's query {query!r} is not in this vocabulary"]
    out, notes = [], []
    cands = [w for w in dict.fromkeys(candidates) if w in emb and w != query]
    if len(cands) >= 2:
        p = preference(emb, query, cands)
        out.append(
            _dial(
                "candidates",
                "word vectors",
                f"{query} → {len(cands)} candidates",
                f"dot products of {query!r} with {', '.join(cands)}",
                p.logits,
                p.words.__getitem__,
            )
        )
    else:
        notes.append("fewer than 2 of the dial's candidates are in this vocabulary")
    p = preference(emb, query)  # the whole vocabulary: one matrix-vector product
    rows = np.flatnonzero(p.mask) if p.mask is not None else np.arange(len(p.words))
    out.append(
        _dial(
            "vocabulary",
            "word vectors",
            f"{query} → the whole vocabulary ({rows.size:,} words)",
            f"dot products of {query!r} with every word but {', '.join(map(repr, p.excluded))}",
            p.logits[rows],
            lambda i: p.words[rows[i]],
        )
    )
    return out, notes


def map_words(emb, n: int, extra: Sequence[str] = ()) -> list[str]:
    """The words of the map: ``extra`` (each must be in the vocabulary), then the first rows
    (the most frequent words in a frequency-ordered file) with at least two letters and a
    non-zero vector, up to ``n`` in all."""
    out = list(dict.fromkeys(extra))
    emb.indices(out)  # an unknown word is an error with suggestions
    seen, norms = set(out), emb.norms
    for i, w in enumerate(emb.words):
        if len(out) >= n:
            break
        if w not in seen and norms[i] > 0 and sum(ch.isalpha() for ch in w) >= 2:
            out.append(w)
            seen.add(w)
    return out


def _projection(x: np.ndarray, method: str, seed: int) -> tuple[np.ndarray, float]:
    """The 2-D map of ``x`` and its trustworthiness, from geomlab's cache when this exact
    input was mapped before (UMAP takes most of a build; the map is deterministic)."""
    from ..geometry.maps import map_2d, trustworthiness

    key = hashlib.sha256(
        x.tobytes() + f"|{x.shape}|{method}|{seed}|explorer-1".encode()
    ).hexdigest()[:32]
    path = cache_dir() / "explorer" / f"map-{method}-{key}.npz"
    try:
        with np.load(path) as f:
            xy, tw = f["xy"], float(f["trustworthiness"])
        if xy.shape == (len(x), 2) and np.isfinite(xy).all():
            return xy, tw
    except (OSError, KeyError, ValueError):
        pass  # absent or damaged: compute it again
    xy = np.asarray(map_2d(x, method=method, seed=seed), dtype=np.float64)
    tw = trustworthiness(x, xy, n_neighbors=min(10, (len(x) - 1) // 2))
    try:
        with atomic_file(path) as fh:
            np.savez(fh, xy=xy, trustworthiness=np.float64(tw))
    except (OSError, GeomlabError):
        pass  # a read-only cache folder: the page is still written
    return xy, tw


def word_map(emb, words: Sequence[str], *, method: str = "umap", seed: int = 0) -> dict:
    """A 2-D map of ``words`` (cosine geometry) with each word's row rank, norm and nearest
    neighbors over the whole vocabulary (one batched :func:`geomlab.nearest` call)."""
    from ..geometry.neighbors import nearest

    if method not in _METHOD_NAMES:
        raise ParameterError(f"method must be one of {', '.join(_METHOD_NAMES)}; got {method!r}")
    if len(words) < 5:
        raise ParameterError(f"the map needs at least 5 words, got {len(words)}")
    rows = emb.indices(words)
    xy, tw = _projection(emb.unit(rows), method, seed)
    k = min(NEIGHBORS, len(emb) - 1)
    nbs = nearest(emb, list(words), k=k)
    vocab = {w: i for i, w in enumerate(words)}
    for nb in nbs:
        for w in nb.words:
            vocab.setdefault(w, len(vocab))
    return {
        "method": _METHOD_NAMES[method],
        "trustworthiness": round(tw, 4),
        "n": len(words),
        "k": k,
        "vocab": list(vocab),  # the map's words first, then neighbors off the map
        "x": np.round(xy[:, 0], 4).tolist(),
        "y": np.round(xy[:, 1], 4).tolist(),
        "rank": (rows + 1).tolist(),
        "norm": [float(f"{v:.4g}") for v in emb.norms[rows]],
        "neighbors": [[vocab[w] for w in nb.words] for nb in nbs],
        "cosines": [np.round(nb.scores.astype(np.float64), 4).tolist() for nb in nbs],
    }


def analogies(
    emb, questions: Sequence[Sequence[str]], *, pool: int = ANALOGY_POOL
) -> tuple[list[dict], list[str]]:
    """Each question ``(a, b, c, d)``: its 3CosAdd scores over the ``pool`` most frequent
    words (inputs excluded) and a 2-D picture of its parallelogram."""
    from sklearn.decomposition import PCA

    from ..geometry.analogy import analogy

    out, notes = [], []
    n = min(pool, len(emb))
    for q in questions:
        a, b, c, d = q
        missing = [w for w in (a, b, c, d) if w not in emb]
        if missing:
            notes.append(
                f"{a} : {b} :: {c} : {d} left out: {', '.join(map(repr, missing))} "
                "not in this vocabulary"
            )
            continue
        if len(emb.indices(dict.fromkeys((a, b, c)))) >= n:
            notes.append(f"{a} : {b} :: {c} : {d} left out: no candidate besides the inputs")
            continue
        r = analogy(emb, a, b, c, k=n, restrict_vocab=n)
        words = list(r.words)
        ua, ub, uc = emb.unit(emb.indices([a, b, c]))
        shown = list(dict.fromkeys(words[:4] + [d]))
        points = np.vstack([ua, ub, uc, ub - ua + uc, emb.unit(emb.indices(shown))])
        # a linear map keeps the parallelogram a parallelogram (UMAP would not)
        xy = PCA(n_components=2, svd_solver="full").fit_transform(points.astype(np.float64))
        xy = np.round(xy, 4).tolist()
        out.append(
            {
                "a": a,
                "b": b,
                "c": c,
                "expected": d,
                "pool": n,
                "n": len(words),
                "labels": words[:TOP_LABELS],
                "logits": pack(r.scores),
                "expected_rank": words.index(d) + 1 if d in words else None,
                "points": {"a": xy[0], "b": xy[1], "c": xy[2], "target": xy[3]},
                "answers": [[w, *p] for w, p in zip(shown, xy[4:])],
            }
        )
    return out, notes


# -- the language model ---------------------------------------------------------------------
def model(lm, prompts: Sequence[str]) -> dict:
    """Per prompt: the next-token logits (all of them) and every head's attention weights
    from one forward pass (the pass :func:`geomlab.next_token` makes, keeping the
    attention), and the :func:`geomlab.logit_lens`."""
    from ..lm.inside import logit_lens

    c = lm.config
    tok = lm.tokenizer
    out = []
    for i, text in enumerate(prompts):
        lens = logit_lens(lm, text)  # checks the text and its length
        fwd = lm.forward(lm.encode(text), attentions=True, logits="last")
        att = np.stack([fwd.attentions[layer] for layer in range(c.n_layers)])
        out.append(
            {
                "text": text,
                "tokens": list(lens.tokens),
                "dial": _dial(
                    f"lm{i}",
                    "language model",
                    f"“{text}” → next token ({c.vocab_size:,} tokens)",
                    f"{c.name or 'the model'}: logits of every token after the prompt",
                    fwd.logits[0],
                    tok.token_str,
                ),
                "lens": {
                    "top_tokens": [list(r) for r in lens.top_tokens],
                    "top_probs": np.round(lens.top_probs, 4).tolist(),
                    "entropy": np.round(lens.entropy, 3).tolist(),
                },
                "attention": pack(att),  # (layers, heads, T, T), row = query position
            }
        )
    return {
        "available": True,
        "name": c.name,
        "file": lm.path.name,
        "n_layers": c.n_layers,
        "n_heads": c.n_heads,
        "vocab_size": c.vocab_size,
        "prompts": out,
    }
