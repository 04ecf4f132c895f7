"""Polysemy figures on the embedded GloVe: fit time of the atoms, probe rates, baselines.

    python scripts/polysemy_eval.py                 # everything (about 2-3 minutes, 2 cores)
    python scripts/polysemy_eval.py --skip-cluster  # without the slower cluster evaluation
    python scripts/polysemy_eval.py --json out.json

What it measures:

1. A fit of the default discourse atoms (wall and CPU seconds), then the time to read them
   back (from the atoms shipped with geomlab, or the fresh cache folder), and whether they
   are the same atoms.
2. How often the contextual neighbors of a probe word lean to the sense its context names,
   for the default settings and for the variants discussed in geomlab.geometry.attention
   (function words kept; a doubled context weight; a lower attention temperature).
3. ``evaluate_polysemy`` with the atoms and with the cluster method.
4. A baseline for "senses recovered": the same matching rule applied to 500 random
   frequent words used as atoms (coded with the same orthogonal matching pursuit),
   averaged over 5 seeds, at thresholds 0.3, 0.4 (the default) and 0.5. A learned
   dictionary should beat it clearly.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np

import geomlab
from geomlab.evaluation.polysemy import read_probes
from geomlab.geometry._dictionary import DEFAULTS, fit_dictionary


def lean_rate(emb, probes, **options) -> float:
    """Share of probe contexts whose contextual neighbors lean to the named sense."""
    by_word: dict[str, list] = {}
    for p in probes:
        by_word.setdefault(p.word, []).append(p)
    right = total = 0
    for pair in by_word.values():
        for own, other in (pair, pair[::-1]):
            r = geomlab.contextualize(emb, own.word, own.context, **options)
            nb = emb.unit(emb.indices(r.words))
            a = float((nb @ emb.unit(emb.indices(own.indicators)).T).mean())
            b = float((nb @ emb.unit(emb.indices(other.indicators)).T).mean())
            right += a > b
            total += 1
    return right / total


def random_atom_baseline(emb, probes, *, n_atoms, n_words, sparsity, threshold, seeds=5):
    """'Senses recovered' when the atoms are random frequent words instead of learned ones."""
    import warnings

    from sklearn.linear_model import orthogonal_mp

    by_word: dict[str, list] = {}
    for p in probes:
        by_word.setdefault(p.word, []).append(p)
    rates = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        atoms = emb.unit(rng.choice(n_words, size=n_atoms, replace=False)).astype(np.float64)
        hits = 0
        for word, pair in by_word.items():
            x = emb.unit([emb.index(word)])[0].astype(np.float64)
            with warnings.catch_warnings():  # random atoms may be nearly dependent
                warnings.simplefilter("ignore", RuntimeWarning)
                code = orthogonal_mp(atoms.T, x, n_nonzero_coefs=sparsity)
            pos = np.flatnonzero(code > 0)
            if len(pos) == 0:
                continue
            match = []
            for p in pair:
                ind = emb.unit(emb.indices(p.indicators)).astype(np.float64)
                sims = (atoms[pos] @ ind.T).mean(axis=1)
                match.append((int(pos[np.argmax(sims)]), float(sims.max())))
            hits += match[0][0] != match[1][0] and min(match[0][1], match[1][1]) >= threshold
        rates.append(hits / len(by_word))
    return float(np.mean(rates)), float(np.std(rates))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-cluster", action="store_true", help="skip the cluster evaluation")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args()

    emb = geomlab.load()
    probes = read_probes()
    out: dict = {
        "vectors": emb.source,
        "probe_words": len({p.word for p in probes}),
        "probe_contexts": len(probes),
        "cpu_count": os.cpu_count(),
    }

    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("GEOMLAB_CACHE_DIR")
        os.environ["GEOMLAB_CACHE_DIR"] = tmp
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            d = fit_dictionary(emb, cache=False)  # a fit, even where the atoms are shipped
            out["fit_wall_s"] = round(time.perf_counter() - wall, 2)
            out["fit_cpu_s"] = round(time.process_time() - cpu, 2)
            wall = time.perf_counter()
            again = fit_dictionary(emb)
            out["cached_read_s"] = round(time.perf_counter() - wall, 4)
            # the default atoms on the embedded GloVe are shipped: then this reads them
            assert again.from_cache, "the default atoms are not shipped: they were fitted again"
            out["shipped_equals_fit"] = bool(np.array_equal(again.atoms, d.atoms))
            out["dictionary"] = dict(d.params)
            print(
                f"first fit of {d.n_atoms} atoms on {d.n_words:,} words: "
                f"{out['fit_wall_s']} s wall, {out['fit_cpu_s']} s CPU; "
                f"read back ({again.path}): {out['cached_read_s'] * 1000:.1f} ms, "
                f"the same atoms: {out['shipped_equals_fit']}"
            )

            variants = {
                "default (function words dropped, weight 1, T 1)": {},
                "function words kept": {"drop_function_words": False},
                "context weight 2": {"context_weight": 2.0},
                "temperature 0.5": {"temperature": 0.5},
            }
            out["context_lean"] = {}
            print("\ncontextual neighbors leaning to the named sense (share of contexts):")
            for name, options in variants.items():
                rate = lean_rate(emb, probes, **options)
                out["context_lean"][name] = round(rate, 4)
                print(f"  {name:<48} {rate:.3f}")

            methods = ["atoms"] if args.skip_cluster else ["atoms", "cluster"]
            out["evaluate_polysemy"] = {}
            for method in methods:
                wall = time.perf_counter()
                r = geomlab.evaluate_polysemy(emb, method=method)
                figures = {
                    k: v
                    for k, v in r.summary().items()
                    if isinstance(v, float) and k not in ("threshold", "temperature")
                }
                figures["seconds"] = round(time.perf_counter() - wall, 1)
                out["evaluate_polysemy"][method] = figures
                print(f"\nevaluate_polysemy(method={method!r}):")
                for k, v in figures.items():
                    print(f"  {k:<24} {v:.3f}" if isinstance(v, float) else f"  {k:<24} {v}")
                if method == "atoms":
                    out["per_word_atoms"] = list(r.per_word)

            out["senses_recovered_by_threshold"] = {}
            print(
                "\nsenses recovered by threshold: learned atoms vs 500 random frequent "
                "words as atoms (5 seeds)"
            )
            for threshold in (0.3, 0.4, 0.5):
                learned = geomlab.evaluate_polysemy(emb, threshold=threshold).senses_recovered
                mean, std = random_atom_baseline(
                    emb,
                    probes,
                    n_atoms=DEFAULTS["n_atoms"],
                    n_words=DEFAULTS["n_words"],
                    sparsity=DEFAULTS["sparsity"],
                    threshold=threshold,
                )
                out["senses_recovered_by_threshold"][str(threshold)] = {
                    "atoms": round(learned, 4),
                    "random_words": round(mean, 4),
                    "random_words_std": round(std, 4),
                }
                print(
                    f"  threshold {threshold}: atoms {learned:.3f}, random words "
                    f"{mean:.3f} +- {std:.3f}"
                )
        finally:
            if old is None:
                os.environ.pop("GEOMLAB_CACHE_DIR", None)
            else:
                os.environ["GEOMLAB_CACHE_DIR"] = old
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
