"""Each flow ships its diagram (Mermaid, beside the module): its states are the
ConversationHandler's, and its arrows are exactly the transitions the steps can make.

The transitions are read from the code: for every handler of a state, the values its step can
return (a state constant, END via `end_flow`/`END`, or what a helper of the module returns).
`return None` (stay) and the step wrapper's global exits (stale session, apology) are left out.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from telegram.ext import ConversationHandler

from bot.config import Settings
from bot.flows import conversation, register, release

START = END = "[*]"
_ARROW = re.compile(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*(?::.*)?$")


def diagram(module: ModuleType) -> set[tuple[str, str]]:
    path = Path(module.__file__ or "").with_suffix(".mmd")
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("---") and "stateDiagram-v2" in text
    return {(m[1], m[2]) for line in text.splitlines() if (m := _ARROW.match(line))}


def state_names(module: ModuleType) -> dict[object, str]:
    keys = set(module.states())
    return {
        v: k for k, v in vars(module).items() if k.isupper() and isinstance(v, int) and v in keys
    }


class Returns:
    """What each module-level function of a module can return, read from its AST."""

    def __init__(self, module: ModuleType) -> None:
        tree = ast.parse(inspect.getsource(module))
        self.functions = {
            node.name: node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.names = set(state_names(module).values())
        self._memo: dict[str, set[str]] = {}

    def of(self, name: str) -> set[str]:
        if name not in self._memo:
            self._memo[name] = set()  # recursion guard
            found: set[str] = set()
            for node in ast.walk(self.functions[name]):
                if isinstance(node, ast.Return) and node.value is not None:
                    found |= self._value(node.value)
            self._memo[name] = found
        return self._memo[name]

    def _value(self, node: ast.expr) -> set[str]:
        if isinstance(node, ast.Await):
            return self._value(node.value)
        if isinstance(node, ast.IfExp):
            return self._value(node.body) | self._value(node.orelse)
        if isinstance(node, ast.Constant):
            return set()  # None: stay
        if isinstance(node, ast.Name):
            if node.id == "END":
                return {END}
            return {node.id} if node.id in self.names else set()
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "end_flow":
                return {END}
            if node.func.id in self.functions:
                return self.of(node.func.id)
        return set()


def _step_name(handler: Any) -> str:
    func = handler.callback
    while hasattr(func, "__wrapped__"):
        func = func.__wrapped__
    return str(func.__name__)


def transitions(module: ModuleType) -> set[tuple[str, str]]:
    returns = Returns(module)
    names = state_names(module)
    found: set[tuple[str, str]] = set()
    sources: list[tuple[str, list[Any]]] = [(START, module.entry_points())]
    sources += [(names[key], handlers) for key, handlers in module.states().items()]
    for source, handlers in sources:
        for handler in handlers:
            name = _step_name(handler)
            if name == "question":  # the FAQ mid-flow step: answers and stays
                continue
            found |= {(source, target) for target in returns.of(name)}
    return found


@pytest.mark.parametrize("module", [register, release], ids=["register", "release"])
def test_diagram_is_the_code(module: ModuleType) -> None:
    arrows = diagram(module)
    drawn_states = {s for pair in arrows for s in pair} - {START}
    assert drawn_states == set(state_names(module).values())
    assert transitions(module) == arrows


def test_register_diagram_has_the_transitions_it_used_to_miss() -> None:
    arrows = diagram(register)
    assert ("ASK_FILES", "ASK_PASSWORD") in arrows  # encrypted PFX: password first
    assert ("ASK_PASSWORD", "ASK_FILES") in arrows  # unlock error, and lost files
    assert ("CONFIRM", "ASK_FILES") in arrows  # lost files at confirm
    assert ("CONFIRM", END) in arrows  # expired at confirm


def test_conversation_states_are_the_flows_states() -> None:
    handler = conversation.build(Settings(_env_file=None, bot_token="1:x"))  # type: ignore[call-arg]
    expected = {*register.states(), *release.states(), ConversationHandler.TIMEOUT}
    assert set(handler.states) == expected


def test_the_architecture_doc_shows_the_diagrams_as_shipped() -> None:
    """docs/architecture.md carries copies of the .mmd files for readers of the repository:
    they must not drift from the tested sources."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
    copies = re.findall(r"```mermaid\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    sources = [
        Path(m.__file__ or "").with_suffix(".mmd").read_text(encoding="utf-8")
        for m in (register, release)
    ]
    assert [c.strip() for c in copies] == [s.strip() for s in sources]
