"""Build the FAQ answerer from the operators' YAML: knowledge.yaml + faq/training/*.yaml.

Training takes seconds, so the fitted intent model is cached on disk under a name derived from
a hash of every input (the YAML files, the model version, scikit-learn's version): editing any
file builds a new model, an unchanged start-up loads the cached one. The cache holds only
public text statistics and weights — nothing a customer typed — as numpy arrays and JSON,
never a pickle, so whoever can write the cache folder still cannot make the bot run code.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from faq.answerer import Answerer, FusionSettings
from faq.intent import IntentModel, IntentSettings
from faq.kb import DEFAULT_PATH, KnowledgeBase, load_knowledge_base
from faq.matcher import Matcher, MatchSettings
from faq.training import TRAINING_DIR, load_corpus

__all__ = ["MODEL_VERSION", "BuildInputs", "build_answerer", "inputs_digest"]

log = logging.getLogger(__name__)

# Bump when the features or the model change shape, so old caches are never loaded.
MODEL_VERSION = "intent-2"


@dataclass(frozen=True)
class BuildInputs:
    kb_path: Path = DEFAULT_PATH
    training_dir: Path = TRAINING_DIR
    cache_dir: Path | None = None
    fusion: FusionSettings = field(default_factory=FusionSettings)
    match_settings: MatchSettings | None = None
    intent: IntentSettings = field(default_factory=IntentSettings)

    def training_files(self) -> list[Path]:
        return sorted(self.training_dir.glob("*.yaml")) if self.training_dir.is_dir() else []


def inputs_digest(inputs: BuildInputs) -> str:
    digest = hashlib.sha256()
    # scikit-learn's version from its metadata: importing it costs ~95 MiB, and a bot whose
    # model is cached never needs it.
    sklearn_version = importlib.metadata.version("scikit-learn")
    digest.update(f"{MODEL_VERSION}|{sklearn_version}|{inputs.intent}".encode())
    # Contents only (not paths): a copy of the same files is the same model.
    digest.update(hashlib.sha256(inputs.kb_path.read_bytes()).digest())
    for part in sorted(hashlib.sha256(p.read_bytes()).digest() for p in inputs.training_files()):
        digest.update(part)
    return digest.hexdigest()


# Models already loaded in this process, by digest: tests and chat mode start many bots.
_LOADED: dict[str, IntentModel] = {}
_KEEP = 3


def _load_cached(path: Path) -> IntentModel | None:
    if path.stem in _LOADED:
        if not path.exists():  # same inputs, another cache folder: keep that one complete too
            _store(path, _LOADED[path.stem])
        return _LOADED[path.stem]
    try:
        # Plain arrays and JSON (allow_pickle=False): a tampered cache cannot run code.
        model = IntentModel.load(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        log.warning("ignoring unreadable FAQ model cache %s: %s", path.name, type(error).__name__)
        return None
    _remember(path.stem, model)
    return model


def _store(path: Path, model: IntentModel) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".faq-model-", suffix=".tmp")
    os.close(fd)
    try:
        model.save(Path(tmp))
        os.replace(tmp, path)
        _remember(path.stem, model)
    except OSError as error:
        log.warning("could not cache the FAQ model: %s", type(error).__name__)
        Path(tmp).unlink(missing_ok=True)
    # Keep the newest few (an operator switching back and forth rebuilds nothing).
    cached = sorted(path.parent.glob("faq-model-*.npz"), key=lambda p: p.stat().st_mtime)
    for old in cached[:-_KEEP]:
        old.unlink(missing_ok=True)


def _remember(name: str, model: IntentModel) -> None:
    _LOADED.pop(name, None)
    _LOADED[name] = model
    while len(_LOADED) > _KEEP:
        del _LOADED[next(iter(_LOADED))]


def cache_path(inputs: BuildInputs) -> Path | None:
    """Where the model for these inputs is (or would be) cached; None without a cache."""
    if inputs.cache_dir is None:
        return None
    return inputs.cache_dir / f"faq-model-{inputs_digest(inputs)[:20]}.npz"


def build_answerer(
    inputs: BuildInputs | None = None, kb: KnowledgeBase | None = None, *, validate: bool = True
) -> Answerer:
    """Load the knowledge base and corpus, fit (or load the cached) model, return the answerer.

    Raises KnowledgeBaseError / TrainingError for a broken file: the caller keeps its old one.
    `validate=False` skips reading the corpus when the cached model loads (the FAQ worker: the
    bot checked the same files just before; the cache name is a hash of their contents).
    """
    inputs = inputs or BuildInputs()
    kb = kb or load_knowledge_base(inputs.kb_path)
    matcher = Matcher(kb, inputs.match_settings)
    examples = load_corpus(kb, files=inputs.training_files()) if validate else None
    cache = cache_path(inputs)
    model = _load_cached(cache) if cache is not None else None
    if model is None:
        if examples is None:
            examples = load_corpus(kb, files=inputs.training_files())
        model = IntentModel(examples, inputs.intent, english_words=matcher.english_words)
        if cache is not None:
            _store(cache, model)
    return Answerer(kb, (), fusion=inputs.fusion, matcher=matcher, model=model)
