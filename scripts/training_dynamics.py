"""Training dynamics, measured: the figures the README and the report quote.

    python scripts/training_dynamics.py                    # both experiments, defaults
    python scripts/training_dynamics.py --only word2vec --out figs/ --json w.json

Each experiment is timed on its own (the model's load is not counted), and each result gets
a SHA-256 fingerprint of its arrays: run the script twice, in two processes, and the
fingerprints are the same (the runs are deterministic).

  unembedding  SmolLM2 frozen; its output rows fit to Moby-Dick chapter 1 by gradient
               descent on cross-entropy: loss per step on training and held-out
               predictions, row movement by answer count, watched rows' neighbors
  word2vec     gensim Word2Vec on the shipped chapters 1-3, one snapshot per epoch: loss,
               Google analogies inside the vocabulary, neighbor agreement with GloVe, by
               frequency band
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

import geomlab


def fingerprint(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def unembedding(out: dict) -> dict:
    lm = geomlab.load_lm()
    t = time.perf_counter()
    r = geomlab.train_unembedding(lm)
    seconds = time.perf_counter() - t
    print(r)
    fp = fingerprint(r.train_loss, r.held_out_loss, r.movement)
    print(f"took {seconds:.1f} s; fingerprint {fp}\n")
    out["unembedding"] = {**r.to_dict(), "seconds": seconds, "fingerprint": fp}
    return r.to_dict()


def word2vec(out: dict) -> dict:
    ref = geomlab.load()
    t = time.perf_counter()
    r = geomlab.train_word2vec(reference=ref)
    seconds = time.perf_counter() - t
    print(r)
    for b in r.bands:
        print(
            f"band {b['band']:>6}: {b['words']:4d} words, {b['questions']:3d} questions, "
            f"best agreement {max(b['agreement']):.3f} at epoch {b['best_epoch']}, last "
            f"{b['agreement'][-1]:.3f}"
        )
    fp = fingerprint(r.snapshots, r.loss)
    print(f"took {seconds:.1f} s; fingerprint {fp}\n")
    out["word2vec"] = {**r.to_dict(), "seconds": seconds, "fingerprint": fp}
    return r.to_dict()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--only",
        choices=["unembedding", "word2vec"],
        default=None,
        help="run one experiment (default: both)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the report's figures (needs both experiments)",
    )
    ap.add_argument("--json", type=Path, default=None, help="write every number here")
    args = ap.parse_args()
    out: dict = {}
    if args.only in (None, "unembedding"):
        unembedding(out)
    if args.only in (None, "word2vec"):
        word2vec(out)
    if args.json:
        from geomlab._record import to_jsonable

        args.json.write_text(json.dumps(to_jsonable(out), indent=1) + "\n")
    if args.out and len(out) == 2:
        from geomlab import plots

        args.out.mkdir(parents=True, exist_ok=True)
        for name in ("training_curves", "row_movement", "neighbor_agreement"):
            getattr(plots, name)(out).savefig(args.out / f"{name}.png")
        print(f"figures in {args.out}")


if __name__ == "__main__":
    main()
