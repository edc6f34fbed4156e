"""The reports folder: checked before any tool runs, and every report written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from aifinops.check.assembly import CheckInputError


def prepare_output(folder: Path, report_names: list[str]) -> None:
    """CheckInputError unless `folder` is, or can be created as, a writable folder. Creates nothing; removes this
    command's previous reports there, so a run that reaches no verdict leaves none behind for CI to upload."""
    if folder.exists() and not folder.is_dir():
        raise CheckInputError(f"--output {folder}: is a file, not a folder")
    existing = next(p for p in (folder, *folder.parents) if p.exists())  # "." or "/" at worst
    if not existing.is_dir():
        raise CheckInputError(f"--output {folder}: cannot create the folder, {existing} is a file")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise CheckInputError(f"--output {folder}: {existing} is not writable ({exc.strerror or exc})") from None
    for name in report_names:
        (folder / name).unlink(missing_ok=True)


def write_reports(folder: Path, reports: Mapping[str, bytes]) -> None:
    """Each report to a temporary file beside it, then renamed over the name: a reader never sees half a report.
    If one cannot be written, those of this call are removed too (CheckInputError names the file)."""
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in reports.items():
            write_atomic(folder / name, content)
            written.append(folder / name)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise CheckInputError(f"{exc.filename or folder}: cannot write the report ({exc.strerror or exc})") from None


def write_atomic(path: Path, content: bytes) -> None:
    """`content` to `path` through a temporary file in the same folder and a rename (atomic on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
