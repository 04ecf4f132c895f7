"""Word-pair similarity benchmarks at gensim parity, with a BCa bootstrap interval."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._record import Record
from .._validation import check_int
from ..embeddings import Embeddings, accepts_gensim
from ..errors import ParameterError
from . import _scan
from .datasets import WordPairSet, load_word_pairs

__all__ = ["PairScore", "SimilarityResult", "evaluate_similarity"]

_N_RESAMPLES = 2000
_CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairScore(Record):
    """One pair: the human score and the cosine (None when a word is out of vocabulary)."""

    w1: str
    w2: str
    gold: float
    cosine: float | None
    line: int


@dataclass(frozen=True)
class SimilarityResult(Record):
    """The outcome of :func:`evaluate_similarity`.

    ``spearman`` and ``pearson`` correlate the cosines with the human scores over the
    ``n_pairs`` pairs whose words are both among the first ``restrict_vocab`` words
    (``n_oov`` pairs skipped); ``spearman_ci`` is a bootstrap interval for Spearman's rho
    (``confidence_level``, pairs resampled with replacement, seeded) computed by
    ``scipy.stats.bootstrap``; ``ci_method`` says which: ``"BCa"`` (bias-corrected and
    accelerated), or ``"percentile"`` of the same resamples when BCa is undefined (a
    degenerate resampling distribution, as tiny pair sets can give).
    """

    dataset: str
    restrict_vocab: int
    case_insensitive: bool
    spearman: float
    pearson: float
    spearman_pvalue: float
    pearson_pvalue: float
    n_pairs: int
    n_oov: int
    n_invalid: int
    spearman_ci: tuple[float, float]
    confidence_level: float
    seed: int
    ci_method: str = "BCa"
    _pairs: tuple = field(default=(), repr=False, compare=False)

    @property
    def pairs(self) -> tuple[PairScore, ...]:
        """Every pair of the file, in order (``cosine`` None when skipped)."""
        return self._pairs

    def plot(self, ax=None):
        """Model cosine against the human score, one dot per pair; returns the figure (or
        the given axes)."""
        from ..plots import similarity_scatter

        kept = [p for p in self._pairs if p.cosine is not None]
        lo, hi = self.spearman_ci
        return similarity_scatter(
            {
                "datasets": [
                    {
                        "label": self.dataset,
                        "human": [p.gold for p in kept],
                        "cosine": [p.cosine for p in kept],
                        "spearman": self.spearman,
                        "spearman_low": lo,
                        "spearman_high": hi,
                    }
                ]
            },
            ax=ax,
        )

    def to_pandas(self):
        """One row per pair of the file (``cosine`` NaN when skipped)."""
        from .._record import _dataframe

        return _dataframe(
            [
                {
                    "w1": p.w1,
                    "w2": p.w2,
                    "gold": p.gold,
                    "cosine": float("nan") if p.cosine is None else p.cosine,
                    "line": p.line,
                }
                for p in self._pairs
            ]
        )

    def rows(self) -> list[dict]:
        lo, hi = self.spearman_ci
        return [
            {
                "dataset": self.dataset,
                "spearman": self.spearman,
                f"ci{round(self.confidence_level * 100)}": f"[{lo:.4f}, {hi:.4f}]",
                "pearson": self.pearson,
                "n_pairs": self.n_pairs,
                "n_oov": self.n_oov,
            }
        ]

    def to_csv(self, path=None) -> str:
        """CSV of the per-pair records (written atomically to ``path`` when given)."""
        import csv
        import io

        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fieldnames=["w1", "w2", "gold", "cosine", "line"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(p.summary() for p in self._pairs)
        text = buf.getvalue()
        if path is not None:
            from .._io import write_text_atomic

            write_text_atomic(path, text)
        return text


def _spearman(x, y, axis=-1):
    """Spearman's rho along the last axis (vectorised over bootstrap resamples) of ``x``
    and ``y``: small non-negative integer codes (see :func:`_codes`).

    A resample whose values are all tied has no rank correlation; it counts as 0 (no
    association) rather than NaN, which would make the whole interval NaN.
    """
    rx = _ranks(np.moveaxis(x, axis, -1))
    ry = _ranks(np.moveaxis(y, axis, -1))
    rx = rx - rx.mean(axis=-1, keepdims=True)
    ry = ry - ry.mean(axis=-1, keepdims=True)
    num = (rx * ry).sum(axis=-1)
    den = np.sqrt((rx * rx).sum(axis=-1) * (ry * ry).sum(axis=-1))
    return num / np.where(den == 0, 1.0, den)


def _codes(values) -> np.ndarray:
    """Each value's place among the distinct values (ties share one): the same order and
    ties, so the same ranks, in integers :func:`_ranks` counts instead of sorting."""
    return np.unique(np.asarray(values), return_inverse=True)[1].reshape(-1)


def _ranks(codes: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank, as ``scipy.stats.rankdata``) along the
    last axis of integer ``codes``. Counting each code per row replaces a sort of every
    row: the bootstrap ranks 2,000 resamples and a jackknife of ``n`` samples. WordSim353
    and SimLex-999 evaluated in 0.40 s of CPU against 0.87 s with ``rankdata`` (warm, one
    run each), with the same intervals to the last digit."""
    c = np.asarray(codes)
    rows = c.reshape(-1, c.shape[-1])
    k = int(rows.max()) + 1 if rows.size else 1
    counts = np.bincount(
        (rows + k * np.arange(len(rows))[:, None]).ravel(), minlength=k * len(rows)
    ).reshape(len(rows), k)
    below = np.cumsum(counts, axis=1) - counts  # values strictly below each code
    mean_rank = below + (counts + 1) / 2.0
    return np.take_along_axis(mean_rank, rows, axis=1).reshape(c.shape)


def _spearman_interval(gold, cos, seed: int) -> tuple[float, float, str]:
    """A 95% paired bootstrap interval for Spearman's rho: BCa, else percentile."""
    import warnings

    from scipy import stats

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # BCa is undefined for a degenerate resampling distribution (e.g. every jackknife
        # value equal): scipy warns and returns NaN, and the percentile interval of the
        # same resamples is used instead
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(
            (_codes(gold), _codes(cos)),
            _spearman,
            paired=True,
            vectorized=True,
            n_resamples=_N_RESAMPLES,
            confidence_level=_CONFIDENCE,
            method="BCa",
            rng=np.random.default_rng(seed),
        )
    low, high = res.confidence_interval
    if np.isfinite(low) and np.isfinite(high):
        return float(low), float(high), "BCa"
    tail = (1 - _CONFIDENCE) / 2 * 100
    low, high = np.percentile(res.bootstrap_distribution, [tail, 100 - tail])
    return float(low), float(high), "percentile"


@accepts_gensim
def evaluate_similarity(
    emb: Embeddings,
    dataset="wordsim353",
    *,
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    seed: int = 0,
    on_error: str = "raise",
) -> SimilarityResult:
    """Correlation of cosine similarity with human judgements, as gensim's
    ``evaluate_word_pairs``, plus a bootstrap interval for Spearman's rho.

    Pairs with a word outside the first ``restrict_vocab`` words are skipped and counted;
    with ``case_insensitive`` words are compared upper-cased and the first (most frequent)
    case variant supplies the vector, as in gensim.

    Parameters
    ----------
    emb : Embeddings
    dataset : str, path or WordPairSet
        ``"wordsim353"``, ``"simlex999"`` (gensim's copies) or a word-pair file (tab,
        space or comma separated, ``#`` comments, header lines, wide files such as the
        original SimLex-999 with the score in its named column).
    restrict_vocab : int or None
        Only the first ``restrict_vocab`` words count as known (None: all).
    case_insensitive : bool
        Compare words upper-cased, as gensim does.
    seed : int
        Non-negative seed of the bootstrap resampling (``scipy.stats.bootstrap``, 2,000
        paired resamples, BCa interval).
    on_error : {"raise", "skip"}
        Malformed lines raise, or are skipped and counted in ``n_invalid``.

    Returns
    -------
    SimilarityResult

    Examples
    --------
    >>> import geomlab
    >>> r = geomlab.evaluate_similarity(geomlab.load(), "wordsim353")
    >>> round(r.spearman, 4), r.n_oov
    (0.5033, 0)
    """
    from scipy import stats

    if not isinstance(emb, Embeddings):
        raise ParameterError(f"emb must be an Embeddings, got {type(emb).__name__}")
    restrict_vocab = check_int(restrict_vocab, "restrict_vocab", allow_none=True)
    seed = check_int(seed, "seed", low=0)
    ds = (
        dataset if isinstance(dataset, WordPairSet) else load_word_pairs(dataset, on_error=on_error)
    )
    n_pool = len(emb) if restrict_vocab is None else min(int(restrict_vocab), len(emb))
    vocab = _scan.Vocab(emb, n_pool, bool(case_insensitive))
    rows = [(vocab.row(w1), vocab.row(w2)) for w1, w2, _ in ds.pairs]
    known = np.array([r1 is not None and r2 is not None for r1, r2 in rows], dtype=bool)
    n = int(known.sum())
    if n < 3:
        raise ParameterError(
            f"only {n} of {len(ds.pairs)} pairs in {ds.name} have both words among the first "
            f"{n_pool:,} words; need at least 3 to correlate"
        )
    r1 = np.array([r[0] for r, k in zip(rows, known) if k], dtype=np.int64)
    r2 = np.array([r[1] for r, k in zip(rows, known) if k], dtype=np.int64)
    v1 = emb.vectors[r1].astype(np.float64)
    v2 = emb.vectors[r2].astype(np.float64)
    norms = np.linalg.norm(v1, axis=1) * np.linalg.norm(v2, axis=1)
    # a zero vector has no direction: cosine 0, as nearest() and relevance() document
    cos = np.einsum("ij,ij->i", v1, v2) / np.where(norms == 0, 1.0, norms)
    gold = np.array([p[2] for p, k in zip(ds.pairs, known) if k])
    if np.ptp(gold) == 0:
        raise ParameterError(
            f"the human scores of the {n} known pairs in {ds.name} are all equal "
            f"({gold[0]:g}): a correlation with a constant is undefined"
        )
    sp = stats.spearmanr(gold, cos)
    pe = stats.pearsonr(gold, cos)
    ci_low, ci_high, ci_method = _spearman_interval(gold, cos, int(seed))
    it = iter(cos)
    pairs = tuple(
        PairScore(w1, w2, float(g), float(next(it)) if k else None, line)
        for (w1, w2, g), k, line in zip(ds.pairs, known, ds.lines)
    )
    return SimilarityResult(
        dataset=ds.name,
        restrict_vocab=n_pool,
        case_insensitive=bool(case_insensitive),
        spearman=float(sp.statistic),
        pearson=float(pe.statistic),
        spearman_pvalue=float(sp.pvalue),
        pearson_pvalue=float(pe.pvalue),
        n_pairs=n,
        n_oov=len(ds.pairs) - n,
        n_invalid=ds.n_invalid,
        spearman_ci=(ci_low, ci_high),
        confidence_level=_CONFIDENCE,
        seed=int(seed),
        ci_method=ci_method,
        _pairs=pairs,
    )
