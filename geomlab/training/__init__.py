"""Training dynamics: watch cross-entropy carve the geometry.

Two small, real experiments: gradient descent on a frozen language model's unembedding
rows (:func:`train_unembedding`), and a word2vec geometry forming epoch by epoch on the
shipped corpus (:func:`train_word2vec`).
"""

from __future__ import annotations

from .unembedding import UnembeddingTraining, train_unembedding, unembedding_loss_grad
from .word2vec import Word2VecTraining, corpus_sentences, train_word2vec

__all__ = [
    "UnembeddingTraining",
    "Word2VecTraining",
    "corpus_sentences",
    "train_unembedding",
    "train_word2vec",
    "unembedding_loss_grad",
]
