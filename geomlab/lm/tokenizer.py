"""The model's byte-level BPE tokenizer, built with ``tokenizers`` from the GGUF vocabulary.

GPT-2-style byte-level BPE: text is split by the GPT-2 pattern (after every digit is split
on its own, for SmolLM2's ``smollm`` pre-tokenizer), each piece is mapped byte by byte to
printable characters and merged by rank. ``tokenizers`` does all of this; geomlab only
assembles the pipeline from the GGUF metadata and adds the views an analyst needs:
readable token strings, the bytes of each token and the character span of each token.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cached_property

import numpy as np

from ..errors import MissingDependencyError, ParameterError

__all__ = ["Encoding", "Tokenizer"]

CONTROL = 3  # GGUF token type of special tokens (<|endoftext|>, <|im_start|>, ...)
# pre-tokenizers (GGUF ``tokenizer.ggml.pre``) that split digits one by one before BPE
_DIGIT_SPLIT = ("smollm", "llama3", "llama-bpe", "deepseek-llm", "qwen2", "refact")


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map of the 256 bytes onto printable characters (``Ġ`` is a space)."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


_BYTE_OF = {c: b for b, c in _bytes_to_unicode().items()}


@dataclasses.dataclass(frozen=True)
class Encoding:
    """Token ids of a text, with each token's character span ``text[start:end]``."""

    ids: np.ndarray
    spans: tuple[tuple[int, int], ...]
    text: str
    #: positions of characters with a byte the vocabulary has no token for (SmolLM2 lacks
    #: U+0004, U+0006, U+0013, U+0014, U+0016, U+001D and planes 4-11): left out, as
    #: llama.cpp leaves them out
    dropped: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)


class Tokenizer:
    """Encode and decode exactly as the model's own tokenizer does.

    Parameters
    ----------
    tokens, merges, token_types : lists from the GGUF metadata
    pre : str
        The GGUF pre-tokenizer name (``"smollm"`` splits digits one by one).
    """

    def __init__(
        self,
        tokens: list[str],
        merges: list[str],
        token_types: list[int],
        pre: str = "",
        special: dict | None = None,
    ):
        self.tokens = tuple(tokens)
        self.merges = tuple(merges)
        self.token_types = tuple(token_types)
        self.pre = pre
        self.special = dict(special or {})
        self._hf = self._build()

    def _build(self):
        try:
            from tokenizers import Tokenizer as HF
            from tokenizers import decoders, models, pre_tokenizers
        except ImportError as exc:  # pragma: no cover - a dependency
            raise MissingDependencyError(
                "the language model's tokenizer needs tokenizers: pip install tokenizers"
            ) from exc
        vocab = {t: i for i, t in enumerate(self.tokens)}
        merges = [tuple(m.split(" ", 1)) for m in self.merges]
        hf = HF(models.BPE(vocab, merges, fuse_unk=False, byte_fallback=False))
        byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        if self.pre in _DIGIT_SPLIT:
            hf.pre_tokenizer = pre_tokenizers.Sequence(
                [pre_tokenizers.Digits(individual_digits=True), byte_level]
            )
        else:
            hf.pre_tokenizer = byte_level
        hf.decoder = decoders.ByteLevel()
        return hf

    @cached_property
    def _special_hf(self):
        """A copy that also matches special-token text (``<|im_start|>``) as one token."""
        from tokenizers import Tokenizer as HF

        hf = HF.from_str(self._hf.to_str())
        hf.add_special_tokens([t for t, ty in zip(self.tokens, self.token_types) if ty == CONTROL])
        return hf

    # --- serialisation (the cache keeps the tokenizer beside the weights) ---------------
    def to_json(self) -> str:
        return json.dumps(
            {
                "tokens": self.tokens,
                "merges": self.merges,
                "token_types": self.token_types,
                "pre": self.pre,
                "special": self.special,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Tokenizer:
        d = json.loads(text)
        return cls(d["tokens"], d["merges"], d["token_types"], d["pre"], d.get("special"))

    # --- encode / decode -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str, *, special: bool = False) -> Encoding:
        """Token ids of ``text`` and the character span of each token.

        ``decode(encode(text).ids) == text`` for every text whose bytes the vocabulary
        has; a byte it lacks is left out (as llama.cpp does), and the characters holding
        one are listed in ``Encoding.dropped``.

        ``special=True`` turns marker text such as ``<|im_start|>`` into its special
        token; by default such text is ordinary text, as in the model's training data.

        Examples
        --------
        >>> import geomlab
        >>> enc = geomlab.load_lm().tokenizer.encode("The capital of France")
        >>> enc.ids.tolist(), enc.spans[1]
        ([504, 3575, 282, 4649], (3, 11))
        """
        if not isinstance(text, str):
            raise ParameterError(f"text must be a str, got {type(text).__name__}")
        enc = (self._special_hf if special else self._hf).encode(text, add_special_tokens=False)
        ids = np.asarray(enc.ids, dtype=np.int64)
        dropped: tuple[int, ...] = ()
        if not special and self.decode(ids) != text:
            have = self._byte_tokens
            dropped = tuple(
                i for i, ch in enumerate(text) if not all(b in have for b in ch.encode("utf-8"))
            )
        return Encoding(ids, tuple(map(tuple, enc.offsets)), text, dropped)

    @cached_property
    def _byte_tokens(self) -> frozenset[int]:
        """The bytes that have a token of their own."""
        index = set(self.tokens)
        return frozenset(b for b, c in _bytes_to_unicode().items() if c in index)

    def decode(self, ids) -> str:
        """The text of ``ids``: bytes joined, then decoded as UTF-8 (exact for whole texts;
        a cut inside a character shows U+FFFD)."""
        return self.token_bytes_of(ids).decode("utf-8", errors="replace")

    def token_bytes(self, i: int) -> bytes:
        """The bytes one token stands for."""
        tok = self.tokens[self._check_id(i)]
        if self.token_types[i] == CONTROL:
            return tok.encode("utf-8")
        return (
            bytes(_BYTE_OF[c] for c in tok)
            if all(c in _BYTE_OF for c in tok)
            else tok.encode("utf-8")
        )

    def token_bytes_of(self, ids) -> bytes:
        return b"".join(self.token_bytes(int(i)) for i in np.asarray(ids).ravel())

    def token_str(self, i: int) -> str:
        """A readable form of one token: its text, with bytes that are not whole UTF-8
        characters shown as ``\\xNN``."""
        return self.token_bytes(i).decode("utf-8", errors="backslashreplace")

    def token_id(self, token: str) -> int:
        """The id of a token given by its text (``" Paris"``) or its GGUF form (``ĠParis``)."""
        if not hasattr(self, "_index"):
            self._index = {t: i for i, t in enumerate(self.tokens)}
        if token in self._index:
            return self._index[token]
        ids = self.encode(token).ids
        if len(ids) != 1:
            raise ParameterError(
                f"{token!r} is not one token: it encodes to {[self.token_str(i) for i in ids]}"
            )
        return int(ids[0])

    def _check_id(self, i) -> int:
        if (
            isinstance(i, bool)
            or not isinstance(i, (int, np.integer))
            or not 0 <= i < len(self.tokens)
        ):
            raise ParameterError(
                f"token id must be an integer in [0, {len(self.tokens)}), got {i!r}"
            )
        return int(i)
