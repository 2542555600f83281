"""The FAQ answerer in a process of its own: `python -m faq.serve`, one JSON object per line.

The bot's event loop runs every chat; matching a question is CPU work (n-grams, a classifier,
sometimes fuzzy passes) that would hold that loop for a fraction of a millisecond per message,
and much longer for a hostile 4,096-character one. Here it runs beside the loop instead, on
another core, and the bot only writes a line and reads one back (bot/faq_worker.py).

Protocol, UTF-8 JSON lines:
- in, first: the build inputs `{"kb_path", "training_dir", "cache_dir", "fusion"}`;
- out, once: `{"ready": true, "kb_sha256": ..., "entries": n}` (the digest of the knowledge
  base file it loaded, so the bot can tell it reads the same one), or `{"ready": false,
  "error": "<class name>"}` and exit status 2;
- then per question in `{"i": id, "q": text, "l": lang}`, out `{"i": id, "d": decision,
  "e": entry, "s": score, "g": [suggestions], "l": lang, "c": [[entry, score], ...]}` or
  `{"i": id, "x": "<class name>"}` when that one question failed.
The questions are never logged or echoed back; stdout carries nothing but the protocol (any
stray print goes to stderr). End of input ends the process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

from faq.answerer import Answerer, FusionSettings
from faq.build import BuildInputs, build_answerer
from faq.matcher import MatchResult

__all__ = ["config_of", "main", "result_from_wire", "serve"]

log = logging.getLogger(__name__)


def config_of(inputs: BuildInputs) -> dict[str, Any]:
    """The first line the worker reads: where its files are, and the fusion settings."""
    return {
        "kb_path": str(inputs.kb_path),
        "training_dir": str(inputs.training_dir),
        "cache_dir": str(inputs.cache_dir) if inputs.cache_dir is not None else None,
        "fusion": dataclasses.asdict(inputs.fusion),
    }


def _inputs(config: dict[str, Any]) -> BuildInputs:
    cache = config.get("cache_dir")
    return BuildInputs(
        kb_path=Path(config["kb_path"]),
        training_dir=Path(config["training_dir"]),
        cache_dir=Path(cache) if cache else None,
        fusion=FusionSettings(**config["fusion"]),
    )


def _wire(request_id: object, result: MatchResult) -> dict[str, Any]:
    return {
        "i": request_id,
        "d": result.decision,
        "e": result.entry_id,
        "s": result.score,
        "g": list(result.suggestions),
        "l": result.lang,
        "c": [list(pair) for pair in result.scores],
    }


def result_from_wire(query: str, message: dict[str, Any]) -> MatchResult:
    """The worker's answer as the MatchResult the in-process answerer would have returned."""
    return MatchResult(
        query,
        message["d"],
        message["e"],
        float(message["s"]),
        tuple(str(s) for s in message["g"]),
        str(message["l"]),
        tuple((str(e), float(s)) for e, s in message["c"]),
    )


def _send(sink: BinaryIO, message: dict[str, Any]) -> None:
    sink.write(json.dumps(message, ensure_ascii=False).encode() + b"\n")
    sink.flush()


def serve(source: BinaryIO, sink: BinaryIO) -> int:
    """Answer questions from `source` on `sink` until end of input; 0, or 2 if never ready."""
    first = source.readline()
    try:
        inputs = _inputs(json.loads(first))
        kb_sha = hashlib.sha256(inputs.kb_path.read_bytes()).hexdigest()
        # The bot validated these files before starting this process (FaqService).
        answerer: Answerer = build_answerer(inputs, validate=False)
    except Exception as error:  # reported by class only: a message could quote a file
        _send(sink, {"ready": False, "error": type(error).__name__})
        return 2
    _send(sink, {"ready": True, "kb_sha256": kb_sha, "entries": len(answerer.kb.entries)})
    for line in source:
        request_id: object = None
        try:
            request = json.loads(line)
            request_id = request["i"]
            result = answerer.match(str(request["q"]), request.get("l"))
        except Exception as error:
            log.warning("FAQ worker: a question failed: %s", type(error).__name__)
            _send(sink, {"i": request_id, "x": type(error).__name__})
            continue
        _send(sink, _wire(request_id, result))
    return 0


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # The protocol gets its own copy of stdout; fd 1 then points at stderr, so nothing a
    # library prints can corrupt a reply.
    sink = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        return serve(sys.stdin.buffer, sink)
    except (BrokenPipeError, KeyboardInterrupt):
        return 0


if __name__ == "__main__":
    sys.exit(main())
