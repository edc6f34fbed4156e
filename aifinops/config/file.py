"""Read finops.yaml as text: a regular file only, never more than the size cap, UTF-8, and no control
characters. Problems name the file, and the line and column when they are inside it."""

from __future__ import annotations

import codecs
import os
import re
import stat
from itertools import islice

from aifinops.config.errors import ConfigError, ConfigIssue
from aifinops.config.limits import MAX_BYTES_ENV

# What YAML refuses (control characters), and the line breaks it accepts but editors do not show as such
# (NEL, U+2028, U+2029): PyYAML would count lines differently from the editor. Tab, LF and CR stay.
_NOT_ALLOWED = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SHOWN = 50  # control characters reported one by one; the rest are counted


def read_text(path: str, max_bytes: int) -> str:
    """The file's text; ConfigError for a missing, special, oversized, non-UTF-8 or control-character file."""
    data = _read_bytes(path, max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ConfigError([ConfigIssue(path, 1, "", "the file is UTF-16; save it as UTF-8")]) from None
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1  # in bytes
        byte = data[exc.start: exc.start + 1].hex()
        raise ConfigError([ConfigIssue(path, line, "", f"byte 0x{byte} at column {column} is not UTF-8; "
                                       "save the file as UTF-8")]) from None
    _refuse_control_characters(text, path)
    return text


def _read_bytes(path: str, max_bytes: int) -> bytes:
    def fail(message: str) -> ConfigError:
        return ConfigError([ConfigIssue(path, 0, "", message)])

    def check(info: os.stat_result) -> None:
        if stat.S_ISDIR(info.st_mode):
            raise fail("is a directory, expected a finops.yaml file")
        if not stat.S_ISREG(info.st_mode):
            raise fail(f"is not a regular file (it is a {_kind(info.st_mode)}); expected a finops.yaml file")
        if info.st_size > max_bytes:
            raise fail(_too_big(info.st_size, max_bytes))

    try:
        check(os.stat(path))  # a FIFO or a device is refused before it is opened
        # O_NONBLOCK: should the path become a FIFO after the stat, opening it must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise fail("file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise fail(f"cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        check(os.fstat(fd))
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:  # the file may grow after fstat: never read more than the cap + 1 byte
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise fail(_too_big(None, max_bytes))  # it grew while being read
    return b"".join(chunks)


def _too_big(size: int | None, max_bytes: int) -> str:
    shown = f"{size:,} bytes" if size is not None else f"more than {max_bytes:,} bytes"
    return (f"the file is {shown}; a finops.yaml may be at most {max_bytes:,} bytes "
            f"(set {MAX_BYTES_ENV} to allow more)")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return name
    return "special file"


def _refuse_control_characters(text: str, path: str) -> None:
    found = list(islice(_NOT_ALLOWED.finditer(text), _SHOWN))
    if not found:
        return
    issues = []
    for match in found:
        line, column = _position(text, match.start())
        char = match.group()
        issues.append(ConfigIssue(path, line, "", f"character {char!r} (U+{ord(char):04X}) at column {column} is "
                                  "not allowed: a finops.yaml holds printable text, tabs and line breaks only"))
    more = _NOT_ALLOWED.subn("", text[found[-1].end():])[1] if len(found) == _SHOWN else 0  # counted in C
    raise ConfigError(issues, more=more)


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of `index` (lines as editors count them: after each newline)."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1
