"""The Lambda package carries the compiled bytecode of its modules (R-PROP-5, P5b in
docs/performance.md): `/var/task` is read-only, so without it every cold start compiles
every module from source. `infra/aws/bytecode.py` adds it to the zip `chalice package`
writes; checked here on a small zip of the same layout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from infra.aws.bytecode import add_bytecode, pyc_name

TAG = sys.implementation.cache_tag
SOURCES = {
    "app.py": "from chalicelib import rules\nVALUE = 'shipped'\n",
    "chalicelib/__init__.py": "",
    "chalicelib/rules.py": "LIMIT = 'shipped'\n",
    "vendored/__init__.py": "",
    "vendored/py2only.py": "print 'not Python 3'\n",
}
PROBE = """\
import json, sys
import app, chalicelib.rules as rules
print(json.dumps({"value": app.VALUE, "limit": rules.LIMIT,
                  "cached": [app.__cached__, rules.__cached__]}))
"""


def _package(folder: Path) -> Path:
    package = folder / "deployment.zip"
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for name, text in SOURCES.items():
            zipped.writestr(name, text)
    return package


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_the_package_gets_unchecked_hash_bytecode_beside_each_source(tmp_path: Path) -> None:
    package = _package(tmp_path)
    added, failed = add_bytecode(package)
    assert (added, failed) == (4, ["vendored/py2only.py"])
    with zipfile.ZipFile(package) as zipped:
        names = zipped.namelist()
        assert f"__pycache__/app.{TAG}.pyc" in names
        assert f"chalicelib/__pycache__/rules.{TAG}.pyc" in names
        header = zipped.read(f"chalicelib/__pycache__/rules.{TAG}.pyc")[4:8]
    assert int.from_bytes(header, "little") == 0b01  # hash-based, source not checked
    assert len(names) == len(set(names)) == len(SOURCES) + 4
    assert add_bytecode(package) == (0, ["vendored/py2only.py"])  # again: nothing doubled


def test_a_cold_interpreter_runs_the_shipped_bytecode_and_writes_none(tmp_path: Path) -> None:
    """Extracted as Lambda does, with PYTHONDONTWRITEBYTECODE=1: the imports use the
    package's `.pyc` (a source edited after packaging is not even read) and add nothing."""
    package = _package(tmp_path)
    add_bytecode(package)
    task = tmp_path / "task"
    with zipfile.ZipFile(package) as zipped:
        zipped.extractall(task)
    for name in ("app.py", "chalicelib/rules.py"):  # proof that the sources are not compiled
        path = task / name
        path.write_text(path.read_text().replace("'shipped'", "'compiled at start'"))
    before = _files(task)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONPYCACHEPREFIX")}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=task, check=True, text=True,
                         capture_output=True, env={**env, "PYTHONDONTWRITEBYTECODE": "1"})
    seen = json.loads(out.stdout)
    assert (seen["value"], seen["limit"]) == ("shipped", "shipped")
    assert [Path(c).relative_to(task).as_posix() for c in seen["cached"]] == [
        pyc_name("app.py"), pyc_name("chalicelib/rules.py")]
    assert _files(task) == before
