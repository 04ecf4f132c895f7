"""Section 9: projection — UMAP, PCA and t-SNE maps of frequent words, with trustworthiness.

The full report draws all three; UMAP starts from the PCA layout (its spectral start costs
more than the rest of the fit) and runs 200 epochs, and t-SNE runs 500 iterations with a
Barnes-Hut angle of 0.8, on one thread. The quick run leaves UMAP out (importing and
compiling it takes longer than the whole quick map) and says so.
"""

from __future__ import annotations

import re

import numpy as np

from . import Context, Figure, Rendered, Section, Table, Unavailable

_WORD = re.compile(r"[a-z]{2,}")
#: words on the maps. 2,000 rather than 3,000: on one thread the section took 6.5 s of CPU
#: against 11.9 s, with trustworthiness UMAP 0.908 against 0.913, t-SNE 0.947 against
#: 0.955, PCA 0.698 against 0.695 (the section's compute timed in one process with
#: ``N_WORDS`` set to each, under ``threadpool_limits(1)``, load average about 2)
N_WORDS, N_WORDS_QUICK = 2000, 400
N_CLUSTERS = 8
METHODS, METHODS_QUICK = ("umap", "pca", "tsne"), ("pca", "tsne")
UMAP_INIT = "pca"
#: t-SNE's iterations, in the quick run too: 250 would be only the early exaggeration phase
#: (trustworthiness 0.54 on the quick run's 400 words, no better than chance)
TSNE_ITER = 500
#: t-SNE's Barnes-Hut angle and UMAP's epochs. Measured on the 3,000 words, one thread
#: (load average about 1): t-SNE 9.3 s at 0.8 against 12.4 s at sklearn's 0.5, the map's
#: trustworthiness 0.9551 against 0.9553; UMAP 1.5 s at 200 epochs (umap-learn's own
#: choice past 10,000 points) against 3.7 s at its 500 for this size, 0.9131 against 0.9146
TSNE_ANGLE, UMAP_EPOCHS = 0.8, 200
LABELS_PER_CLUSTER = 2
MIN_WORDS = 40  # two words per k-means cluster at the least (k >= 2)


def _frequent_words(emb, n: int, extra) -> list[str]:
    """The ``n`` most frequent plain words (letters only), plus any extra words given."""
    out = [w for w in extra if w in emb]
    seen = set(out)
    for w in emb.words:
        if len(out) >= n:
            break
        if w not in seen and _WORD.fullmatch(w):
            out.append(w)
            seen.add(w)
    return out


def compute(ctx: Context) -> dict:
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    from ...geometry.maps import compare_maps

    emb = ctx.emb
    n = N_WORDS_QUICK if ctx.quick else N_WORDS
    words = _frequent_words(emb, n, ctx.words)
    if len(words) < MIN_WORDS:
        raise Unavailable(
            f"only {len(words)} words made of letters in this vocabulary; a "
            f"map needs at least {MIN_WORDS}"
        )
    x = emb.unit(emb.indices(words))
    k = min(N_CLUSTERS, max(2, len(words) // 20))
    km = KMeans(n_clusters=k, n_init=4, random_state=ctx.seed).fit(x)
    names, labelled = [], [w for w in ctx.words if w in words]
    for c in range(k):
        members = np.flatnonzero(km.labels_ == c)
        closeness = x[members] @ km.cluster_centers_[c]
        order = members[np.argsort(-closeness)]
        names.append(", ".join(words[i] for i in order[:3]))
        labelled.extend(words[i] for i in order[:LABELS_PER_CLUSTER])
    methods = METHODS_QUICK if ctx.quick else METHODS
    tsne_iter = TSNE_ITER
    # one thread: sklearn's Barnes-Hut gradient sums in an order that depends on the number
    # of OpenMP threads, so the map (and its trustworthiness: 0.9021 on one thread, 0.8985
    # on two, 400 words, angle 0.5) would differ from machine to machine; the full report
    # computes this section in a process of its own, on one thread, anyway
    with threadpool_limits(1):
        maps = compare_maps(
            x,
            methods=methods,
            seed=ctx.seed,
            quick=ctx.quick,
            progress=ctx.step,
            init=UMAP_INIT,
            max_iter=tsne_iter,
            angle=TSNE_ANGLE,
            n_epochs=UMAP_EPOCHS,
        )
    return {
        "n_points": len(words),
        "words": words,
        "ranks": [emb.index(w) + 1 for w in words],
        "cluster": km.labels_.tolist(),
        "cluster_names": names,
        "cluster_sizes": np.bincount(km.labels_, minlength=k).tolist(),
        "labelled": list(dict.fromkeys(labelled)),
        "maps": maps,
        "params": {
            "words": f"the {n:,} most frequent words made of letters only"
            + (", plus --words" if ctx.words else ""),
            "metric": "cosine",
            "trustworthiness_neighbors": 10,
            "k_means": k,
            "dim": int(emb.dim),
            **(
                {}
                if "umap" not in methods
                else {
                    "umap": {
                        "n_neighbors": 15,
                        "min_dist": 0.1,
                        "init": UMAP_INIT,
                        "n_epochs": UMAP_EPOCHS,
                    }
                }
            ),
            "tsne": {
                "perplexity": 30,
                "init": "pca",
                "max_iter": tsne_iter,
                "angle": TSNE_ANGLE,
                "threads": 1,
            },
            "seed": ctx.seed,
        },
    }


def render(r: dict) -> Rendered:
    from ... import plots

    maps = sorted(r["maps"], key=lambda m: -m["trustworthiness"])
    best, worst = maps[0], maps[-1]
    caption = [
        (
            f"{r['n_points']:,} frequent words (ranks {min(r['ranks']):,} to "
            f"{max(r['ranks']):,}) mapped to two dimensions by each method. Colour is the "
            f"k-means cluster (k = {len(r['cluster_names'])}) each word has in the full "
            f"{r['params']['dim']}-d space, so a colour split across a map is a cluster the map "
            "tore apart."
        ),
        f"{best['method']} keeps the most neighbourhoods (trustworthiness "
        f"{best['trustworthiness']:.3f}), {worst['method']} the fewest "
        f"({worst['trustworthiness']:.3f}): "
        + "; ".join(
            f"{m['method']} {m['trustworthiness']:.3f} in {m['seconds']:.1f} s" for m in r["maps"]
        )
        + ". Distances between far-apart groups mean little on the non-linear maps; "
        "only the local neighbourhoods are what trustworthiness vouches for.",
    ]
    table = Table(
        ["method", "trustworthiness (10 neighbours)", "seconds"],
        [[m["method"], m["trustworthiness"], m["seconds"]] for m in r["maps"]],
        "How far to trust each map",
    )
    clusters = Table(
        ["cluster", "words", "nearest its centre"],
        [[i + 1, s, nm] for i, (s, nm) in enumerate(zip(r["cluster_sizes"], r["cluster_names"]))],
        "Clusters",
    )
    names = [m["method"] for m in r["maps"]]
    if "UMAP" not in names:
        caption.append("This quick run leaves UMAP out (the full report draws it too).")
    shown = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    fig = Figure(
        "projection_maps",
        plots.projection_panels(r),
        f"{shown} maps of the same words, coloured by full-space cluster.",
    )
    return Rendered([fig], [table, clusters], caption)


SECTION = Section(
    "projection", "Projection: maps of the space, and how far to trust them", compute, render
)
