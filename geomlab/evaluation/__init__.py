"""Benchmark evaluation: analogy and word-similarity sets at gensim parity, batched.

``datasets`` reads the benchmark files (gensim's Google, WordSim-353 and SimLex-999 by
name; question files, BATS folders and word-pair files by path), ``analogies`` and
``similarity`` evaluate them; ``polysemy`` reads the polysemy probes and evaluates word
vectors on them. ``_scan`` is the full blocked analogy pass and ``_pruned`` the pass that
scores exactly only the candidates that can matter. The public
functions are re-exported by :mod:`geomlab`; this package imports nothing itself.
"""
