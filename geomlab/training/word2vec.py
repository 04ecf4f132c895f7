"""A word2vec geometry forming epoch by epoch on a small real corpus.

gensim's ``Word2Vec`` (skip-gram with negative sampling: a logistic cross-entropy on dot
products) is trained on the shipped Moby-Dick chapters, seeded and on one worker so that
it repeats exactly, and the vectors are snapshot after every epoch (and before the first).
Each snapshot is judged three ways: gensim's own training loss for that epoch; Google
analogies restricted to the corpus vocabulary (accuracy and mean reciprocal rank of the
expected answer, by :func:`geomlab.evaluate_analogies`); and how far each word's nearest
neighbors agree with those of GloVe 6B (trained on 6 billion tokens) over the same
vocabulary. All of it by corpus frequency band: frequent words see many updates, rare ones
few, so the geometry sharpens from the center and the edges lag.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Sequence

import numpy as np

from .._record import Record, format_table, to_jsonable
from ..embeddings import Embeddings
from ..errors import ParameterError

__all__ = [
    "DEFAULT_WORDS",
    "FREQUENCY_BANDS",
    "Word2VecTraining",
    "corpus_sentences",
    "train_word2vec",
]

#: words whose nearest neighbors are followed by default
DEFAULT_WORDS = ("sea", "ship", "whale", "water", "man", "night")
#: bands of a word's count in the corpus
FREQUENCY_BANDS = ((1, 4, "<5"), (5, 19, "5-19"), (20, 99, "20-99"), (100, None, "100+"))


def corpus_sentences(texts: str | Sequence[str] | None = None) -> list[list[str]]:
    """Paragraphs of the texts as lists of lower-case words (gensim's ``simple_preprocess``).

    Parameters
    ----------
    texts : str or sequence of str, optional
        Default: the shipped corpus (:func:`geomlab.lm.calibration.corpus`).

    Examples
    --------
    >>> corpus_sentences("Call me Ishmael.\\n\\nSome years ago")
    [['call', 'me', 'ishmael'], ['some', 'years', 'ago']]
    """
    from gensim.utils import simple_preprocess

    if texts is None:
        from ..lm.calibration import corpus

        texts = list(corpus().values())
    elif isinstance(texts, str):
        texts = [texts]
    if not all(isinstance(t, str) for t in texts):
        raise ParameterError("texts must be a str or a list of str")
    out = [simple_preprocess(p) for t in texts for p in re.split(r"\n\s*\n", t)]
    return [s for s in out if s]


def _band_masks(counts: np.ndarray) -> list[tuple[str, np.ndarray]]:
    top = np.iinfo(np.int64).max
    return [
        (label, (counts >= lo) & (counts <= (top if hi is None else hi)))
        for lo, hi, label in FREQUENCY_BANDS
    ]


@dataclasses.dataclass(frozen=True, eq=False)
class Word2VecTraining(Record):
    """Snapshots of a word2vec model after every epoch.

    Attributes
    ----------
    words : tuple of str
        The vocabulary (gensim's order: most frequent first).
    counts : ndarray of int
        Each word's count in the corpus.
    tokens : int
        Words in the corpus.
    epochs, seed, vector_size, window, min_count : int
    loss : ndarray, shape (epochs + 1,)
        gensim's training loss of each epoch (index 0: before training, NaN).
    analogy_questions : int
        Google questions whose four words are all in the vocabulary.
    accuracy, mrr : ndarray, shape (epochs + 1,)
        Analogy accuracy and mean reciprocal rank of the expected answer (3CosAdd over the
        vocabulary, inputs excluded) at each snapshot.
    agreement : ndarray, shape (epochs + 1,)
        Mean overlap of each word's ``k`` nearest neighbors with its GloVe neighbors (both
        among the words the two vocabularies share); chance is about ``k / n``.
    bands : tuple of dict
        Per corpus frequency band: words, analogy questions (by the expected answer), and
        the snapshot with the best neighbor agreement (``best_epoch``), and per snapshot the
        accuracy and neighbor agreement (lists over snapshots).
    neighbors : tuple of dict
        For each followed word: its count and its nearest words after each epoch.
    snapshots : ndarray, shape (epochs + 1, n_words, vector_size)
        The vectors at each snapshot.
    """

    words: tuple
    counts: np.ndarray
    tokens: int
    epochs: int
    seed: int
    vector_size: int
    window: int
    min_count: int
    loss: np.ndarray
    analogy_questions: int
    accuracy: np.ndarray
    mrr: np.ndarray
    agreement: np.ndarray
    k: int
    bands: tuple
    neighbors: tuple
    snapshots: np.ndarray = dataclasses.field(repr=False)

    def embeddings(self, epoch: int = -1) -> Embeddings:
        """The vectors after ``epoch`` (0: before training; -1: the last) as Embeddings."""
        return Embeddings(self.words, self.snapshots[epoch], source=f"word2vec epoch {epoch}")

    @property
    def frequent_agree_more(self) -> bool:
        """At the last epoch, neighbor agreement rises with every frequency band."""
        final = [b["agreement"][-1] for b in self.bands if b["words"] > 0]
        return bool(all(a < b for a, b in itertools.pairwise(final)))

    @property
    def edges_lag(self) -> bool:
        """The rarest band reaches its best neighbor agreement at a later epoch than the most
        frequent band: the edges of the vocabulary are still forming when the center is
        done."""
        used = [b for b in self.bands if b["words"] > 0]
        return bool(len(used) >= 2 and used[0]["best_epoch"] > used[-1]["best_epoch"])

    def summary(self) -> dict:
        return {
            "words": len(self.words),
            "tokens": self.tokens,
            "epochs": self.epochs,
            "seed": self.seed,
            "vector_size": self.vector_size,
            "window": self.window,
            "min_count": self.min_count,
            "analogy_questions": self.analogy_questions,
            "loss_first": float(self.loss[1]),
            "loss_last": float(self.loss[-1]),
            "accuracy_last": float(self.accuracy[-1]),
            "mrr_first": float(self.mrr[0]),
            "mrr_last": float(self.mrr[-1]),
            "agreement_first": float(self.agreement[0]),
            "agreement_last": float(self.agreement[-1]),
            "agreement_best": float(np.max(self.agreement)),
            "best_epoch": int(np.argmax(self.agreement)),
            "k": self.k,
            "frequent_agree_more": self.frequent_agree_more,
            "edges_lag": self.edges_lag,
        }

    def rows(self) -> list[dict]:
        out = []
        for e in range(self.epochs + 1):
            row = {
                "epoch": e,
                "loss": float(self.loss[e]),
                "accuracy": float(self.accuracy[e]),
                "mrr": float(self.mrr[e]),
                "agreement": float(self.agreement[e]),
            }
            for b in self.bands:
                row[f"agreement {b['band']}"] = b["agreement"][e]
            out.append(row)
        return out

    def to_dict(self) -> dict:
        return to_jsonable(
            {
                **self.summary(),
                "curve": self.rows(),
                "bands": list(self.bands),
                "neighbors": list(self.neighbors),
            }
        )

    def __str__(self) -> str:
        s = self
        head = (
            f"word2vec (skip-gram, {s.vector_size} dims, window {s.window}, seed {s.seed}) "
            f"on {s.tokens:,} words, {len(s.words):,} in the vocabulary (count >= "
            f"{s.min_count}), {s.epochs} epochs\n{s.analogy_questions} Google questions "
            f"in the vocabulary; neighbor agreement with GloVe at k={s.k}; best epoch by "
            f"band: "
            + ", ".join(f"{b['band']}: {b['best_epoch']}" for b in s.bands if b["words"])
            + f"; edges lag: "
            f"{'yes' if s.edges_lag else 'no'}"
        )
        nb = [
            {
                "word": n["word"],
                "count": n["count"],
                "epoch 1": " ".join(n["neighbors"][1][:4]),
                f"epoch {s.epochs}": " ".join(n["neighbors"][-1][:4]),
            }
            for n in s.neighbors
        ]
        return "\n".join([head, format_table(self.rows()), format_table(nb)])


def _knn(vectors: np.ndarray, k: int) -> np.ndarray:
    """Indices of each row's k nearest other rows by cosine, shape (n, k)."""
    v = vectors.astype(np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    v = v / np.where(norms == 0, 1.0, norms)
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    return np.argpartition(-sims, k, axis=1)[:, :k]


def _agreement(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, the fraction of neighbors the two index arrays share (the indices of a
    row are distinct): ``b``'s neighbors marked in a boolean matrix, ``a``'s read off it."""
    n, k = a.shape
    marked = np.zeros((n, max(int(a.max(initial=-1)), int(b.max(initial=-1))) + 1), dtype=bool)
    rows = np.arange(n)[:, None]
    marked[rows, b] = True
    return marked[rows, a].sum(axis=1) / k


def _covered(dataset, vocab):
    """The analogy set cut to the questions all four of whose words are in ``vocab``
    (compared upper-cased, as :func:`~geomlab.evaluate_analogies` compares them by
    default): the others are out of vocabulary in every snapshot, and the evaluation
    would look each of the 19,544 Google questions up again per snapshot."""
    upper = {w.upper() for w in vocab}
    return dataclasses.replace(
        dataset,
        sections=tuple(
            dataclasses.replace(
                sec,
                questions=tuple(q for q in sec.questions if all(w.upper() in upper for w in q)),
            )
            for sec in dataset.sections
        ),
    )


def train_word2vec(
    texts: str | Sequence[str] | None = None,
    *,
    epochs: int = 40,
    seed: int = 1,
    vector_size: int = 50,
    window: int = 5,
    min_count: int = 2,
    sample: float = 0.0,
    k: int = 10,
    words: Sequence[str] = DEFAULT_WORDS,
    reference: Embeddings | None = None,
    progress: bool | None = None,
) -> Word2VecTraining:
    """Train word2vec on a corpus and judge its geometry after every epoch.

    Parameters
    ----------
    texts : str or sequence of str, optional
        Default: the shipped Moby-Dick chapters (:func:`corpus_sentences`).
    epochs : int
        Passes over the corpus; a snapshot follows each.
    seed : int
        gensim's seed; with one worker the run repeats bit for bit.
    vector_size, window, min_count : int
        As in ``gensim.models.Word2Vec`` (skip-gram, 5 negative samples).
    sample : float
        gensim's down-sampling of frequent words; 0 (off) by default, since on a corpus of
        9,000 words it would drop most of the few examples there are.
    k : int
        Neighbors compared with the reference.
    words : sequence of str
        Words whose nearest neighbors are recorded after every epoch (those outside the
        vocabulary are left out).
    reference : Embeddings, optional
        The geometry to agree with (default: the embedded GloVe 6B 50d, ``geomlab.load()``).
    progress : bool, optional
        Progress bar over the epochs (default: on a terminal).

    Returns
    -------
    Word2VecTraining

    Examples
    --------
    >>> r = geomlab.train_word2vec(epochs=5)                  # doctest: +SKIP
    >>> r.agreement[-1] > r.agreement[0]                      # doctest: +SKIP
    True
    """
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    from .._progress import progress as bar
    from .._validation import check_int

    epochs = check_int(epochs, "epochs")
    vector_size = check_int(vector_size, "vector_size")
    window = check_int(window, "window")
    min_count = check_int(min_count, "min_count")
    k = check_int(k, "k")
    if isinstance(sample, bool) or not isinstance(sample, (int, float)) or not 0 <= sample < 1:
        raise ParameterError(f"sample must be in [0, 1), got {sample!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    sentences = corpus_sentences(texts)
    if not sentences:
        raise ParameterError("the texts hold no words")

    snaps, losses = [], []
    ticker = iter(bar(range(epochs), desc="word2vec", enabled=progress, unit="epoch"))

    class _Snapshot(CallbackAny2Vec):
        def on_train_begin(self, model):
            snaps.append(model.wv.vectors.copy())

        def on_epoch_end(self, model):
            snaps.append(model.wv.vectors.copy())
            losses.append(model.get_latest_training_loss())
            next(ticker, None)

    model = Word2Vec(
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        sg=1,
        negative=5,
        sample=sample,
        seed=seed,
        workers=1,
        compute_loss=True,
    )
    model.build_vocab(sentences)
    vocab = tuple(model.wv.index_to_key)
    if len(vocab) <= k:
        raise ParameterError(
            f"only {len(vocab)} words occur at least min_count={min_count} "
            f"times; k={k} neighbors need more: pass more text or a lower "
            "min_count"
        )
    model.train(
        sentences,
        total_examples=len(sentences),
        epochs=epochs,
        compute_loss=True,
        callbacks=[_Snapshot()],
    )
    cumulative = np.array(losses, dtype=np.float64)
    loss = np.concatenate([[np.nan], np.diff(cumulative, prepend=0.0)])
    counts = np.array([model.wv.get_vecattr(w, "count") for w in vocab], dtype=np.int64)
    snapshots = np.stack(snaps)
    return _judge(
        vocab,
        counts,
        snapshots,
        loss,
        epochs=epochs,
        seed=seed,
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        k=k,
        words=words,
        reference=reference,
        tokens=sum(map(len, sentences)),
    )


def _judge(
    vocab,
    counts,
    snapshots,
    loss,
    *,
    epochs,
    seed,
    vector_size,
    window,
    min_count,
    k,
    words,
    reference,
    tokens,
) -> Word2VecTraining:
    from ..evaluation.analogies import evaluate_analogies
    from ..evaluation.datasets import load_analogies
    from ..geometry.neighbors import nearest

    if reference is None:
        from ..loaders import load

        reference = load()
    index = {w: i for i, w in enumerate(vocab)}
    shared = [i for i, w in enumerate(vocab) if w in reference]
    if len(shared) <= k:
        raise ParameterError(
            f"only {len(shared)} of the {len(vocab)} corpus words are in the "
            f"reference vectors; k={k} neighbors need more"
        )
    ref_knn = _knn(np.stack([reference[vocab[i]] for i in shared]), k)
    shared_counts = counts[shared]
    word_bands = _band_masks(shared_counts)
    answer_count = None
    accuracy, mrr, agreement = [], [], []
    band_acc = {label: [] for label, _ in word_bands}
    band_agree = {label: [] for label, _ in word_bands}
    google = _covered(load_analogies("google"), vocab)  # parsed once, not once per snapshot
    followed_words = [w for w in words if w in index]
    neighbors = {w: [] for w in followed_words}
    for snap in snapshots:
        emb = Embeddings(vocab, snap, source="word2vec")
        for w in followed_words:
            neighbors[w].append(list(nearest(emb, w, k=5).words))
        res = evaluate_analogies(emb, google, restrict_vocab=None, progress=False)
        qs = res.questions
        correct = np.array([q.correct for q in qs], dtype=bool)
        ranks = np.array([q.rank for q in qs], dtype=np.float64)
        if answer_count is None:
            answer_count = np.array(
                [
                    counts[index[q.expected.lower()]] if q.expected.lower() in index else 0
                    for q in qs
                ],
                dtype=np.int64,
            )
            q_bands = _band_masks(answer_count)
        accuracy.append(float(correct.mean()) if len(qs) else float("nan"))
        rr = np.where(ranks > 0, 1.0 / np.maximum(ranks, 1.0), 0.0)
        mrr.append(float(rr.mean()) if len(qs) else float("nan"))
        agree = _agreement(_knn(snap[shared], k), ref_knn)
        agreement.append(float(agree.mean()))
        for (label, wm), (_, qm) in zip(word_bands, q_bands):
            band_agree[label].append(float(agree[wm].mean()) if wm.any() else float("nan"))
            band_acc[label].append(float(correct[qm].mean()) if qm.any() else float("nan"))
    bands = tuple(
        {
            "band": label,
            "words": int(wm.sum()),
            "questions": int(qm.sum()),
            "best_epoch": int(np.nanargmax(band_agree[label])) if wm.any() else None,
            "accuracy": band_acc[label],
            "agreement": band_agree[label],
        }
        for (label, wm), (_, qm) in zip(word_bands, q_bands)
    )
    followed = [
        {"word": w, "count": int(counts[index[w]]), "neighbors": neighbors[w]}
        for w in followed_words
    ]
    return Word2VecTraining(
        words=vocab,
        counts=counts,
        tokens=tokens,
        epochs=epochs,
        seed=seed,
        vector_size=vector_size,
        window=window,
        min_count=min_count,
        loss=loss,
        analogy_questions=len(answer_count),
        accuracy=np.array(accuracy),
        mrr=np.array(mrr),
        agreement=np.array(agreement),
        k=k,
        bands=bands,
        neighbors=tuple(followed),
        snapshots=snapshots,
    )
