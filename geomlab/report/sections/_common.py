"""What several sections share: the probe words, and the computations done once per report.

A section imports these from here, never from another section, so each section module
stands alone.
"""

from __future__ import annotations

from ...errors import MissingDependencyError
from ...evaluation.datasets import load_analogies
from . import Context, Unavailable

# -- the probe words -------------------------------------------------------------------
#: the query of the softmax and cross-entropy sections, over ``CAPITALS``, and its answer
QUERY, EXPECTED = "france", "paris"
#: the seed dialogue's "The capital of France is" logits
SEED_LOGITS = (9.2, 1.4, 0.8, -4.7)
#: the polysemy sections' word
POLYSEMY_WORD = "bank"

# -- the Google analogy benchmark --------------------------------------------------------
ANALOGY_RESTRICT, ANALOGY_RESTRICT_QUICK = 300_000, 30_000
#: the questions the calibration section reads as distributions: a random sample (drawn
#: with the report's seed). A temperature needs every candidate's score, not only the ones
#: that can beat the answer: the whole Google set at 300,000 candidates took 17.9 s of CPU
#: (5.8 billion scores binned), 5,000 questions 4.9-5.5 s (five seeds), beside the answers'
#: pruned pass over every question (5.4 s). On those five samples the fitted T was
#: 0.0319-0.0326 (whole set 0.0323), NLL 3.30-3.38 (3.36), ECE 0.111-0.119 (0.115), the
#: NLL at T = 1 11.82 (11.82); the rarest band (answer rank > 50,000: 130-148 questions,
#: 542 in the whole set) had accuracy 0.08-0.16 (0.12) at confidence 0.24-0.28 (0.28).
#: Quick: 2,000 questions over 30,000 candidates, 0.7-0.8 s against 5.6 s, fitted T
#: 0.0313-0.0321 (0.0315), ECE 0.095-0.119 (0.104). Measured with ``python
#: scripts/calibration.py --sample 5000 --seed S`` (``--restrict 30000 --sample 2000``)
#: for S in 0-4, and without ``--sample``.
CALIBRATION_SAMPLE, CALIBRATION_SAMPLE_QUICK = 5_000, 2_000


def logits(emb, query: str, candidates) -> tuple[list[str], list[float]]:
    """The dot-product logits of ``query`` over ``candidates``, highest first."""
    from ...geometry.relevance import relevance

    rel = relevance(emb, query, list(candidates), metric="dot", sort=True)
    return list(rel.words), [float(s) for s in rel.scores]


def analogy_evaluation(ctx: Context, method: str, *, exclude_inputs: bool = True):
    """The Google benchmark under ``method``, computed once per run. The convention run of
    3CosAdd gives the run with the inputs kept from the same pass."""
    if not exclude_inputs and method == "3cosadd":
        return analogy_evaluation(ctx, method).inputs_kept
    return _google_run(
        ctx,
        f"google:{method}:{exclude_inputs}",
        lambda dataset: dataset,
        method=method,
        exclude_inputs=exclude_inputs,
        inputs_kept=method == "3cosadd" and exclude_inputs,
    )


def analogy_calibration(ctx: Context):
    """3CosAdd's answers to a random sample of the Google questions (``CALIBRATION_SAMPLE``,
    drawn with the report's seed) read as distributions, with the fitted temperature;
    computed once per run."""
    n = CALIBRATION_SAMPLE_QUICK if ctx.quick else CALIBRATION_SAMPLE
    return _google_run(
        ctx,
        "google:calibration",
        lambda dataset: dataset.sample(n, seed=ctx.seed),
        method="3cosadd",
        temperature="fit",
    )


def _google_run(ctx: Context, key: str, questions, **options):
    """``evaluate_analogies`` once per run under ``key``, on ``questions(the Google set)``
    over the report's candidates, with ``options``."""
    from ...evaluation.analogies import evaluate_analogies

    def run():
        restrict = ANALOGY_RESTRICT_QUICK if ctx.quick else ANALOGY_RESTRICT
        return evaluate_analogies(
            ctx.emb,
            questions(google_dataset(ctx)),
            restrict_vocab=restrict,
            progress=ctx.progress,
            **options,
        )

    return ctx.once(key, run)


def google_dataset(ctx: Context):
    """The Google analogy set, read once per run (and recorded among the datasets)."""
    dataset = ctx.once("google", lambda: load_analogies("google"))
    ctx.record_dataset("google", dataset.path)
    return dataset


def _load_lm():
    from ...lm.model import load_lm

    try:
        return load_lm()
    except MissingDependencyError as exc:
        raise Unavailable(str(exc)) from None


def language_model(ctx: Context):
    """The language model, loaded once per report (Unavailable when not installed)."""
    return ctx.once("lm", _load_lm)


#: the sections that run the language model
LM_SECTIONS = ("model", "modelcalibration", "modelpolysemy", "training")
#: where the report starts loading the model ahead, on a thread: beside the similarity
#: and polysemy sections, which keep one core busy for about 3 s, while a cold load
#: (dequantizing the model's file into geomlab's cache) keeps one core busy for about 3 s
LM_AHEAD_OF = "similarity"


#: sections computed after the others: the report ends by waiting for the last section's
#: figures, and the model's polysemy draws one small figure (0.2 s) where the training
#: section draws three, with SVG copies (1.4-1.6 s of waiting at the end of a full report)
COMPUTED_LAST = ("modelpolysemy",)


#: sections computed first: their numbers take milliseconds and their figures most of a
#: second each, so the drawing process has work while the vectors section imports
#: scipy.stats (a second on one core). A utilisation trace of a quick run shows the dip to
#: 1.4 cores busy between the vectors and analogy sections gone; four quick runs
#: interleaved with the report's own order took 15.5-17.6 s against 15.5-20.0 s
COMPUTED_FIRST = ("softmax", "relevance")


def compute_order(keys: list[str]) -> list[str]:
    """The report's sections ``keys`` in the order they are computed (see COMPUTED_FIRST
    and COMPUTED_LAST); the report shows them in their own order."""
    first = [k for k in COMPUTED_FIRST if k in keys]
    last = [k for k in keys if k in COMPUTED_LAST]
    return first + [k for k in keys if k not in first and k not in last] + last


def start_ahead(ctx: Context, key: str, keys: list[str]) -> None:
    """Before section ``key`` of ``keys`` (in the order they are computed): start what a
    later section will need (see ``LM_AHEAD_OF``)."""
    if key == LM_AHEAD_OF and any(k in LM_SECTIONS for k in keys[keys.index(key) + 1 :]):
        ctx.ahead("lm", _load_lm)


#: the text the language-model sections read: the start of chapter 1 of Moby-Dick, its
#: first 7,550 characters (1,789 tokens: two windows of the model, the second overlapping
#: the first by a quarter; from the 1,793rd token on a third window runs, and 8,000
#: characters, 1,899 tokens, took 21.2 s of CPU against 17.5 s for these, with every
#: figure of the section's caption the same to the digits shown). The claim and every
#: statement of the section hold as on the whole chapter's 2,859 tokens. A quick run
#: reads 2,000 characters (457 tokens; the claim holds as on 930 tokens of 4,000
#: characters, and the section computes in 2.1 s instead of 5.5 s, 3.5 s of CPU instead
#: of 9.4)
LM_DOCUMENT, LM_CHARS, LM_QUICK_CHARS, LM_WINDOW = "moby_dick_ch1", 7550, 2000, 1024


def lm_text(ctx: Context) -> str:
    """The calibration section's text: the start of the chapter (shorter in a quick run)."""
    from ...lm.calibration import corpus

    return corpus()[LM_DOCUMENT][: LM_QUICK_CHARS if ctx.quick else LM_CHARS]


def lm_first_window(ctx: Context):
    """``(ids, hidden)``: the final hidden states of the first window (``LM_WINDOW``
    tokens) of :func:`lm_text`, computed once per report. The calibration section scores
    that window from them; the training section trains on the states of its first
    tokens (the model is causal: a prefix's states are the window's first rows), so the
    model runs over them once, not twice."""
    lm = language_model(ctx)

    def run():
        ids = lm.encode(lm_text(ctx))[:LM_WINDOW]
        return ids, lm.forward(ids, logits="none").hidden

    return ctx.once(f"lm:first-window:{'quick' if ctx.quick else 'full'}", run)
