"""Put the compiled bytecode of every module into the Lambda package (docs/deploy.md,
"Packaging"; P5b in docs/performance.md).

`chalice package` zips the sources only: `app.py`, `chalicelib/` and the vendored
requirements (pydantic, cryptography, ...) come without `.pyc` files. Lambda unpacks the
zip into `/var/task`, which is read-only, so a function compiles every module it imports
from source on every cold start and cannot keep the result. This adds, beside each
`x.py` of the zip, `__pycache__/x.cpython-311.pyc` compiled by this interpreter (the same
minor version as the one that ran `chalice package`, which picks the function's runtime
from it).

The bytecode is hash-based and unchecked (`PycInvalidationMode.UNCHECKED_HASH`, PEP 552):
the package never changes once built, so the interpreter need not read each source to
compare it with the `.pyc` (timestamps would be meaningless after unzipping anyway). A
source changed later in place would not be seen: rebuild the package, as every deploy
does.

    python -m infra.aws.bytecode out/deployment.zip     # after `chalice package`
"""

from __future__ import annotations

import py_compile
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath

UNCHECKED = py_compile.PycInvalidationMode.UNCHECKED_HASH
READABLE = 0o100644 << 16  # a regular file, rw-r--r-- (what the zip's sources have)


def pyc_name(member: str) -> str:
    """Where the interpreter looks for the bytecode of the zip member `member`."""
    source = PurePosixPath(member)
    return str(source.parent / "__pycache__" /
               f"{source.stem}.{sys.implementation.cache_tag}.pyc")


def add_bytecode(package: Path) -> tuple[int, list[str]]:
    """Compile every `.py` of the zip `package` that has no bytecode yet and add it, in
    place. Returns how many were added and the sources that do not compile under this
    interpreter (left as they are: importing them would fail on Lambda too)."""
    with zipfile.ZipFile(package) as zipped:
        present = set(zipped.namelist())
        sources = [info for info in zipped.infolist()
                   if info.filename.endswith(".py") and pyc_name(info.filename) not in present]
        with tempfile.TemporaryDirectory(prefix="lgsp-bytecode-") as tmp:
            compiled, failed = _compile(zipped, sources, Path(tmp))
            with zipfile.ZipFile(package, "a", compression=zipfile.ZIP_DEFLATED) as out:
                for info, pyc in compiled:
                    entry = zipfile.ZipInfo(pyc_name(info.filename), date_time=info.date_time)
                    entry.external_attr = READABLE
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    out.writestr(entry, pyc.read_bytes())
    return len(compiled), failed


def _compile(zipped: zipfile.ZipFile, sources: list[zipfile.ZipInfo], folder: Path
             ) -> tuple[list[tuple[zipfile.ZipInfo, Path]], list[str]]:
    compiled: list[tuple[zipfile.ZipInfo, Path]] = []
    failed: list[str] = []
    for number, info in enumerate(sources):
        source = folder / "src" / info.filename
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(zipped.read(info))
        target = folder / "pyc" / f"{number}.pyc"
        target.parent.mkdir(exist_ok=True)
        try:
            with warnings.catch_warnings():  # a library's own SyntaxWarnings: not ours
                warnings.simplefilter("ignore")
                py_compile.compile(str(source), cfile=str(target), dfile=info.filename,
                                   doraise=True, invalidation_mode=UNCHECKED)
        except py_compile.PyCompileError:
            failed.append(info.filename)
            continue
        compiled.append((info, target))
    return compiled, failed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m infra.aws.bytecode <deployment.zip>", file=sys.stderr)
        return 2
    added, failed = add_bytecode(Path(argv[0]))
    print(f"  {argv[0]}: added the bytecode of {added} modules "
          f"({sys.implementation.cache_tag}, unchecked hash)"
          + (f"; {len(failed)} do not compile: {', '.join(failed[:5])}" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
