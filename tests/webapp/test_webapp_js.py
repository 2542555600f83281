"""The page's JavaScript crypto under Node, against vectors the Python core makes now."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from webapp_support import JS_TESTS, write_vectors

NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_node_crypto_matches_python(tmp_path: Path) -> None:
    vectors = write_vectors(tmp_path)
    assert NODE is not None
    result = subprocess.run(
        [NODE, "--test", *sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))],
        env={"WEBAPP_VECTORS": str(vectors), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# skipped 0" in result.stdout
    assert "# fail 0" in result.stdout
