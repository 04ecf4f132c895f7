"""The polysemy entry points that take word vectors or a language model.

:func:`contextualize` and :func:`evaluate_polysemy` are the public functions
(``geomlab.contextualize``, ``geomlab.evaluate_polysemy``). Given word vectors they run
:func:`geomlab.geometry.attention.contextualize` and
:func:`geomlab.evaluation.polysemy.evaluate_polysemy`; given a language model
(:func:`geomlab.load_lm`), :mod:`geomlab.lm.polysemy`. The dispatch lives here, above both
levels, so that neither ``geometry/`` nor ``evaluation/`` imports ``geomlab.lm``.
"""

from __future__ import annotations

import sys

from .embeddings import accepts_gensim
from .errors import ParameterError
from .evaluation.polysemy import PolysemyEvaluation
from .evaluation.polysemy import evaluate_polysemy as _evaluate_polysemy_vectors
from .geometry.attention import Contextual
from .geometry.attention import contextualize as _contextualize_vectors

__all__ = ["contextualize", "evaluate_polysemy"]


def _is_language_model(obj) -> bool:
    """Whether ``obj`` is a :class:`geomlab.lm.LanguageModel` (without importing geomlab.lm:
    one can only exist once its module is loaded)."""
    module = sys.modules.get("geomlab.lm.model")
    return module is not None and isinstance(obj, module.LanguageModel)


@accepts_gensim(allow_lm=True)
def contextualize(
    emb,
    word: str,
    context,
    *,
    k: int = 10,
    temperature: float = 1.0,
    context_weight: float = 1.0,
    drop_function_words: bool = True,
    restrict_vocab: int | None = None,
    layer: int | None = None,
    read_twice: bool | None = None,
) -> Contextual:
    """The nearest words of ``word`` read in ``context``.

    With a language model (:func:`geomlab.load_lm`) instead of word vectors, the
    contextual vector is the model's own hidden state of the word at block ``layer``
    (``read_twice``: the sentence read twice, the word taken from the second copy); see
    :func:`geomlab.lm.polysemy.contextualize_lm`. The rest of this text is about word
    vectors.

    The contextual vector is the word's vector plus the output of its attention over the
    context (a residual connection, as in a transformer block, with identity projections):
    ``emb[word] + context_weight * attend(emb, word, kept_context).output``.

    Parameters
    ----------
    emb : Embeddings
    word : str
        A vocabulary word.
    context : str or sequence of str
        A sentence (lower-cased and tokenised) or a list of words. Tokens not in the
        vocabulary are skipped and reported in ``skipped`` / ``n_skipped``; occurrences of
        ``word`` itself and (by default) function words are left out and listed in
        ``dropped``.
    k : int
        Neighbors to return.
    temperature : float
        Attention temperature (see :func:`attend`).
    context_weight : float
        Multiplier of the attention output in the residual sum (``>= 0``; 1 is the plain
        residual connection, 0 gives the static neighbors).
    drop_function_words : bool
        Leave :data:`FUNCTION_WORDS` out of the context (the module notes say why).
    restrict_vocab : int or None
        Search the neighbors among the first ``restrict_vocab`` words only (the most
        frequent ones); None: the whole vocabulary, as :func:`geomlab.nearest`.

    Returns
    -------
    Contextual
        ``.neighbors`` (a :class:`Neighbors`), ``.static`` (the neighbors without context),
        ``.attention``, ``.vector``, ``.skipped``, ``.n_skipped``, ``.dropped``.

    Raises
    ------
    UnknownWordError
        ``word`` is not in the vocabulary.
    ParameterError
        The context is empty, every context word is unknown, nothing is left once function
        words and the word itself are dropped, or an option is out of range.

    Examples
    --------
    >>> import geomlab
    >>> emb = geomlab.load()
    >>> river = geomlab.contextualize(emb, "bank", "the boat drifted to the muddy river bank")
    >>> "shore" in river.words
    True
    >>> money = geomlab.contextualize(emb, "bank", "loans and deposits at a low interest rate")
    >>> "lending" in money.words
    True
    """
    if _is_language_model(emb):
        from .lm.polysemy import contextualize_lm

        return contextualize_lm(emb, word, context, k=k, layer=layer, read_twice=read_twice)
    if layer is not None or read_twice is not None:
        raise ParameterError("layer and read_twice are for a language model, not word vectors")
    return _contextualize_vectors(
        emb,
        word,
        context,
        k=k,
        temperature=temperature,
        context_weight=context_weight,
        drop_function_words=drop_function_words,
        restrict_vocab=restrict_vocab,
    )


@accepts_gensim(allow_lm=True)
def evaluate_polysemy(
    emb,
    probes=None,
    *,
    k: int = 10,
    method: str = "atoms",
    threshold: float = 0.4,
    temperature: float = 1.0,
    layers=None,
    progress: bool | None = None,
) -> PolysemyEvaluation:
    """Evaluate contextual neighbors, sense discovery and sense choice on probe words.

    For each probe word and each of its two labelled contexts: :func:`contextualize` the
    word; the context counts as right when its ``k`` neighbors are closer (mean cosine) to
    the indicator words of the named sense than to the other sense's. :func:`senses` counts
    as recovering the word when the labelled senses match two different senses, each with
    a mean cosine of at least ``threshold`` to its indicator words; the matched senses are
    then the targets of :func:`sense_probabilities` for the two contexts.

    Parameters
    ----------
    emb : Embeddings or LanguageModel
        With a language model: :func:`geomlab.lm.polysemy.evaluate_polysemy_lm` (context
        accuracy at every block, the sentence read once and twice).
    probes : path or list of Probe, optional
        Default: ``polysemy_probes.tsv`` shipped with geomlab (37 words, 74 contexts).
    k : int
        Contextual neighbors per context.
    method : {"atoms", "cluster"}
        Sense method.
    threshold : float
        Minimum mean cosine between a sense vector and a labelled sense's indicator words.
        The default, 0.4, is where the measure separates a learned dictionary from 500
        random frequent words used as atoms (0.57 against 0.32 of the probe words on the
        embedded GloVe); at 0.3 random words already reach 0.57 (learned atoms 0.65), so
        the looser threshold says little. ``scripts/polysemy_eval.py`` prints the sweep.
    temperature : float
        Temperature of the attention and of the sense softmax.
    layers : iterable of int, optional
        A language model only: the blocks to measure (default: all).
    progress : bool, optional
        A language model only: a progress bar over the words (default: on a terminal).

    Returns
    -------
    PolysemyEvaluation, or LMPolysemyEvaluation for a language model

    Examples
    --------
    >>> import geomlab
    >>> r = geomlab.evaluate_polysemy(geomlab.load())          # doctest: +SKIP
    >>> r.context_accuracy > 0.5                               # doctest: +SKIP
    True
    """
    if _is_language_model(emb):  # the model's own hidden states, block by block
        from .lm.polysemy import evaluate_polysemy_lm

        return evaluate_polysemy_lm(emb, probes, k=k, layers=layers, progress=progress)
    if layers is not None:
        raise ParameterError(
            "layers applies to a language model only (static vectors have no blocks)"
        )
    return _evaluate_polysemy_vectors(
        emb, probes, k=k, method=method, threshold=threshold, temperature=temperature
    )
