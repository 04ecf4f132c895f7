"""Scoring: how scores become preferences.

``softmax`` (temperature, masks, log-sum-exp, the Boltzmann view), ``losses``
(cross-entropy and its gradient, entropy, KL divergence, perplexity, surprise), ``eml``
(the seeds' ``e**x - ln y`` and its echo of cross-entropy), ``sampling`` (greedy,
temperature, top-k, nucleus) and ``calibration`` (temperature fitting, ECE). The public names are re-exported by
:mod:`geomlab`; this package imports nothing itself, so each module loads only what it needs. It is the
lower layer: nothing here imports ``geometry``, ``evaluation`` or ``lm`` (``preference``,
which scores with geometry and then applies softmax, lives in :mod:`geomlab.geometry`).
"""
