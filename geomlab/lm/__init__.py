"""A real language model, offline, in numpy: SmolLM2-135M (or any llama-family GGUF).

``load_lm`` reads the model (GGUF via ``gguf``, tokenizer via ``tokenizers``, dequantized
weights cached and memory-mapped); ``LanguageModel.forward`` runs it and can return the
residual stream and attention weights; ``next_token``, ``score_text`` and ``generate``
turn its hidden states into preferences, surprises and text.
"""

from __future__ import annotations

from .model import DEFAULT_MODEL, Forward, KVCache, LanguageModel, default_model_path, load_lm

__all__ = ["DEFAULT_MODEL", "Forward", "KVCache", "LanguageModel", "default_model_path", "load_lm"]
