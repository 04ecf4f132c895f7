"""geomlab: the geometry of word embeddings, and how geometry becomes preference.

Static word vectors (``load``) and a real language model run in numpy (``load_lm``).

Heavy dependencies (gensim, scikit-learn, scipy.stats, matplotlib, umap) are imported
only inside the functions that need them, so ``import geomlab`` stays fast; the public
names below are resolved on first use.
"""

from __future__ import annotations

import importlib

from ._version import __version__
from .embeddings import Embeddings
from .errors import (
    FormatError,
    GeomlabError,
    MissingDependencyError,
    ParameterError,
    ShapeError,
    UnknownWordError,
)

# public name -> module that defines it (imported lazily on first access)
_LAZY = {
    "load": "geomlab.loaders",
    "as_embeddings": "geomlab.embeddings",
    "sources": "geomlab.loaders",
    "LoadReport": "geomlab.loaders.loadreport",
    "detect_format": "geomlab.loaders.detect",
    # geometry
    "vector": "geomlab.geometry.queries",
    "query_words": "geomlab.geometry.queries",
    "parse_query": "geomlab.geometry.queries",
    "relevance": "geomlab.geometry.relevance",
    "Relevance": "geomlab.geometry.relevance",
    "nearest": "geomlab.geometry.neighbors",
    "Neighbors": "geomlab.geometry.neighbors",
    "analogy": "geomlab.geometry.analogy",
    "Analogy": "geomlab.geometry.analogy",
    "project": "geomlab.geometry.directions",
    "reject": "geomlab.geometry.directions",
    "direction": "geomlab.geometry.directions",
    "offset_consistency": "geomlab.geometry.directions",
    "offsets": "geomlab.geometry.directions",
    "Offsets": "geomlab.geometry.directions",
    # evaluation
    "evaluate_analogies": "geomlab.evaluation.analogies",
    "evaluate_similarity": "geomlab.evaluation.similarity",
    # scoring
    "softmax": "geomlab.scoring.softmax",
    "log_softmax": "geomlab.scoring.softmax",
    "logsumexp": "geomlab.scoring.softmax",
    "free_energy": "geomlab.scoring.softmax",
    "boltzmann": "geomlab.scoring.softmax",
    "eml": "geomlab.scoring.eml",
    "eml_echo": "geomlab.scoring.eml",
    "EmlEcho": "geomlab.scoring.eml",
    "cross_entropy": "geomlab.scoring.losses",
    "cross_entropy_grad": "geomlab.scoring.losses",
    "entropy": "geomlab.scoring.losses",
    "kl_divergence": "geomlab.scoring.losses",
    "perplexity": "geomlab.scoring.losses",
    "surprise": "geomlab.scoring.losses",
    "sample": "geomlab.scoring.sampling",
    "Samples": "geomlab.scoring.sampling",
    "preference": "geomlab.geometry.preference",
    "Preference": "geomlab.geometry.preference",
    "sweep_logits": "geomlab.scoring.sweep",
    "TemperatureSweep": "geomlab.scoring.sweep",
    "fit_temperature": "geomlab.scoring.calibration",
    "expected_calibration_error": "geomlab.scoring.calibration",
    "reliability_bins": "geomlab.scoring.calibration",
    # polysemy and attention
    "attend": "geomlab.geometry.attention",
    "contextualize": "geomlab.polysemy",
    "senses": "geomlab.geometry.senses",
    "Sense": "geomlab.geometry.senses",
    "sense_probabilities": "geomlab.geometry.sense_choice",
    "evaluate_polysemy": "geomlab.polysemy",
    # scale
    "neighbor_graph": "geomlab.geometry.graph",
    # the language model
    "load_lm": "geomlab.lm.model",
    "LanguageModel": "geomlab.lm.model",
    "next_token": "geomlab.lm.analysis",
    "NextToken": "geomlab.lm.analysis",
    "score_text": "geomlab.lm.analysis",
    "TextScore": "geomlab.lm.analysis",
    "generate": "geomlab.lm.generation",
    "Generation": "geomlab.lm.generation",
    "logit_lens": "geomlab.lm.inside",
    "LogitLens": "geomlab.lm.inside",
    "attention_map": "geomlab.lm.inside",
    "AttentionMap": "geomlab.lm.inside",
    "calibrate_text": "geomlab.lm.calibration",
    "TextCalibration": "geomlab.lm.calibration",
    "LMContextual": "geomlab.lm.polysemy",
    "LMPolysemyEvaluation": "geomlab.lm.polysemy",
    # the interactive page
    "explore": "geomlab.explorer",
    # training dynamics
    "train_unembedding": "geomlab.training.unembedding",
    "UnembeddingTraining": "geomlab.training.unembedding",
    "train_word2vec": "geomlab.training.word2vec",
    "Word2VecTraining": "geomlab.training.word2vec",
}

__all__ = [
    "Embeddings",
    "GeomlabError",
    "UnknownWordError",
    "FormatError",
    "ParameterError",
    "ShapeError",
    "MissingDependencyError",
    "__version__",
    *_LAZY,
]


# subpackages reachable as attributes after a plain `import geomlab` (geomlab.report.build)
_SUBPACKAGES = (
    "report",
    "geometry",
    "scoring",
    "evaluation",
    "loaders",
    "lm",
    "explorer",
    "training",
    "plots",
)


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'geomlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBPACKAGES))
