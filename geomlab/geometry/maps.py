"""2-D maps of word vectors (PCA, UMAP, t-SNE) and how far to trust each one.

A map is only a picture of the 50-d geometry; ``sklearn.manifold.trustworthiness`` says
how many of each point's near neighbours on the map are near neighbours in the full space
too (1 = all of them, about 0.5 = no better than random).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from ..errors import MissingDependencyError, ParameterError

__all__ = ["METHODS", "compare_maps", "map_2d", "trustworthiness"]

METHODS = ("umap", "pca", "tsne")
_NAMES = {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(n == 0, 1, n)).astype(np.float32)


def map_2d(
    vectors,
    *,
    method: str = "pca",
    seed: int = 0,
    n_neighbors: int = 15,
    quick: bool = False,
    init: str = "spectral",
    max_iter: int | None = None,
    angle: float = 0.5,
    n_epochs: int | None = None,
) -> np.ndarray:
    """Map row vectors to 2-D, by cosine geometry.

    Parameters
    ----------
    vectors : array_like, shape (n, dim)
    method : {"pca", "umap", "tsne"}
    seed : int
        Fixes every random choice, so the same input gives the same map.
    n_neighbors : int
        UMAP's neighbourhood size (t-SNE's perplexity is twice it).
    quick : bool
        Fewer optimisation steps (for tests and previews).
    init : {"spectral", "pca"}
        UMAP's starting layout: the spectral embedding of its neighbour graph (umap-learn's
        default), or the first two principal components (much faster to compute, and
        what t-SNE starts from here too).
    max_iter : int, optional
        t-SNE's iterations (default 1,000; 500 with ``quick``; at least 250, the early
        exaggeration phase).
    angle : float
        t-SNE's Barnes-Hut trade-off in (0, 1]: how wide a cell of far points may look from
        a point and still count as one (sklearn's default 0.5; larger is faster and
        coarser).
    n_epochs : int, optional
        UMAP's layout epochs (default: umap-learn's own, 500 below 10,000 points; 200 with
        ``quick``).

    Returns
    -------
    ndarray, shape (n, 2)
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if init not in ("spectral", "pca"):
        raise ParameterError(f"init must be 'spectral' or 'pca'; got {init!r}")
    if max_iter is not None and (
        isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 250
    ):
        raise ParameterError(f"max_iter must be an integer of at least 250; got {max_iter!r}")
    if isinstance(angle, bool) or not isinstance(angle, (int, float)) or not 0 < angle <= 1:
        raise ParameterError(f"angle must be a number in (0, 1]; got {angle!r}")
    if n_epochs is not None and (
        isinstance(n_epochs, bool) or not isinstance(n_epochs, (int, np.integer)) or n_epochs < 1
    ):
        raise ParameterError(f"n_epochs must be a positive integer; got {n_epochs!r}")
    x = _unit(np.asarray(vectors, dtype=np.float32))
    if x.ndim != 2 or len(x) < 5:
        raise ParameterError(f"need at least 5 row vectors to project, got shape {x.shape}")
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(x)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = float(min(2 * n_neighbors, (len(x) - 1) / 3))
        return TSNE(
            n_components=2,
            metric="cosine",
            init="pca",
            perplexity=perplexity,
            max_iter=max_iter or (500 if quick else 1000),
            angle=float(angle),
            random_state=seed,
        ).fit_transform(x)
    try:
        import umap
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise MissingDependencyError("UMAP needs umap-learn: pip install umap-learn") from exc
    k = min(n_neighbors, len(x) - 1)
    knn = None
    if len(x) < _UMAP_ALL_PAIRS:
        # Below 4,096 points umap-learn computes all pairwise distances through sklearn with
        # its numba cosine as a Python callable (one Python call per pair: 38 s of a
        # profiled report for 3,000 words), then compiles a parallel numba sort to find the
        # neighbours (13 s in every fresh process). The same neighbours and cosine
        # distances from one matrix product, handed over as umap's precomputed_knn, take
        # milliseconds; the rest of the fit (the fuzzy graph, the layout) is umap's own.
        knn = _cosine_knn(x, k)
    _cache_umap_loops(umap)
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=k,
        min_dist=0.1,
        metric="cosine",
        random_state=seed,
        n_epochs=int(n_epochs) if n_epochs is not None else 200 if quick else None,
        n_jobs=1,
        init=init,
        **({"precomputed_knn": knn} if knn is not None else {}),
    )
    with warnings.catch_warnings():
        # a map never transforms new points, which umap needs its own search index for
        warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
        return reducer.fit_transform(x)


def _cache_umap_loops(umap) -> None:
    """Keep umap-learn's compiled loops on disk, as numba keeps geomlab's own.

    umap-learn compiles its fuzzy-graph and layout loops with numba in every fresh process
    without caching them: about 15 s of each report's map (measured; 12 s of it
    ``smooth_knn_dist``). numba can store the machine code beside the source (or in
    ``NUMBA_CACHE_DIR``), keyed by the source file, as it does for functions declared with
    ``cache=True``; later processes load it in milliseconds. Only loops not yet compiled
    are switched; a module numba cannot cache for is left as it is.
    """
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    for module in (umap.umap_, umap.layouts, umap.utils):
        for f in vars(module).values():
            if isinstance(f, Dispatcher) and isinstance(f._cache, NullCache) and not f.overloads:
                try:
                    f.enable_caching()
                except RuntimeError:  # no writable place for this file's cache
                    return


#: umap-learn takes the all-pairs route below this many points (umap_.py, 0.5.x)
_UMAP_ALL_PAIRS = 4096


def _cosine_knn(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, None]:
    """Each row's ``k`` nearest rows by cosine distance, itself first, as umap-learn finds
    them (the first ``k`` of each row of all distances sorted): (indices, distances, None)."""
    d = _cosine_distances(x)
    idx = np.argsort(d, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(d, idx, axis=1), None


def _cosine_distances(x: np.ndarray) -> np.ndarray:
    """``1 - cos`` of unit rows, as umap's cosine: 0 between two zero rows, 1 from one."""
    x64 = x.astype(np.float64)
    d = 1.0 - x64 @ x64.T
    np.maximum(d, 0.0, out=d)
    zero = ~x.any(axis=1)
    d[np.ix_(zero, zero)] = 0.0
    np.fill_diagonal(d, 0.0)
    return d


def trustworthiness(vectors, xy, *, n_neighbors: int = 10) -> float:
    """sklearn's trustworthiness of the map ``xy`` of ``vectors`` (cosine in the full space)."""
    from sklearn.manifold import trustworthiness as tw

    return float(
        tw(
            _unit(np.asarray(vectors, dtype=np.float32)),
            np.asarray(xy),
            n_neighbors=n_neighbors,
            metric="cosine",
        )
    )


def _input_ranks(vectors, n_neighbors: int) -> np.ndarray:
    """The full-space half of :func:`trustworthiness`, for several maps of the same points:
    ``ranks[i, j]``, the place of point ``j`` among point ``i``'s neighbours by cosine
    distance (1 = nearest), as scikit-learn's ``trustworthiness`` computes it (the same
    calls, so the same ties). scikit-learn recomputes it for every map, a sort of the
    whole distance matrix: for the maps section's three maps of 3,000 words, 1.5 s of CPU
    against 0.46 s shared (one thread, measured)."""
    from sklearn.metrics import pairwise_distances

    x = _unit(np.asarray(vectors, dtype=np.float32))
    n = len(x)
    if n_neighbors >= n / 2:
        raise ValueError(f"n_neighbors ({n_neighbors}) should be less than n_samples / 2 ({n / 2})")
    dist = pairwise_distances(x, metric="cosine")
    np.fill_diagonal(dist, np.inf)
    order = np.argsort(dist, axis=1)
    ranks = np.zeros((n, n), dtype=int)
    places = np.arange(n + 1)
    ranks[places[:-1, np.newaxis], order] = places[1:]
    return ranks


def _trustworthiness_from(ranks: np.ndarray, xy, n_neighbors: int) -> float:
    """:func:`trustworthiness` of the map ``xy`` from its points' :func:`_input_ranks`."""
    from sklearn.neighbors import NearestNeighbors

    n = len(ranks)
    near = NearestNeighbors(n_neighbors=n_neighbors).fit(np.asarray(xy))
    excess = ranks[np.arange(n)[:, np.newaxis], near.kneighbors(return_distance=False)]
    excess -= n_neighbors
    t = np.sum(excess[excess > 0])
    k = n_neighbors
    return float(1.0 - t * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))))


def compare_maps(
    vectors,
    *,
    methods=METHODS,
    seed: int = 0,
    quick: bool = False,
    n_neighbors: int = 10,
    progress=None,
    **options,
) -> list[dict]:
    """Each method's map with its trustworthiness and time: a list of dicts
    ``{"method", "xy" (n x 2 list), "trustworthiness", "seconds"}``; ``options`` go to
    :func:`map_2d` (``init``, ``max_iter``, ``angle``, ``n_epochs``)."""
    out = []
    ranks = None  # the full space's side of the trustworthiness, shared by the maps
    for m in methods:
        if progress is not None:
            progress(_NAMES[m])
        t0 = time.perf_counter()
        xy = map_2d(vectors, method=m, seed=seed, quick=quick, **options)
        seconds = time.perf_counter() - t0
        if ranks is None:
            ranks = _input_ranks(vectors, n_neighbors)
        out.append(
            {
                "method": _NAMES[m],
                "xy": np.round(xy, 4).tolist(),
                "trustworthiness": _trustworthiness_from(ranks, xy, n_neighbors),
                "seconds": seconds,
            }
        )
    return out
