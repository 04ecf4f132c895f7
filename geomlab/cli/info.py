"""``geomlab info``: what the loaded vectors are."""

from __future__ import annotations

from ._util import add_json, embeddings, emit


def register(sub, parent) -> None:
    p = sub.add_parser(
        "info",
        parents=[parent],
        help="size, dimension, source, memory and norm statistics",
        description="Describe the loaded vectors: vocabulary size, dimension, source, "
        "memory use and row-norm statistics.",
    )
    add_json(p)
    p.set_defaults(func=run)


def describe(emb) -> dict:
    import numpy as np

    norms = emb.norms
    v = emb.vectors
    mapped = isinstance(getattr(v, "base", None), np.memmap) or isinstance(v, np.memmap)
    return {
        "source": emb.source,
        "words": len(emb),
        "dim": emb.dim,
        "dtype": str(v.dtype),
        "memory_mb": round(v.nbytes / 2**20, 1),
        "memory_mapped": bool(mapped),
        "norm_min": float(norms.min()),
        "norm_median": float(np.median(norms)),
        "norm_mean": float(norms.mean()),
        "norm_max": float(norms.max()),
        "zero_vectors": int((norms == 0).sum()),
        "first_words": list(emb.words[:10]),
    }


def run(args) -> int:
    info = describe(embeddings(args))
    lines = [f"{k:>14}: {', '.join(v) if isinstance(v, list) else v}" for k, v in info.items()]
    emit(args, data=info, text="\n".join(lines))
    return 0
