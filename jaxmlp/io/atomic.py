"""Atomic file writes: a reader sees the old file or the new one, never a half-written one.

A temporary beside the target (so the rename stays on one file system) is written, fsynced,
``os.replace``d onto the target, and the directory fsynced; if anything fails before the rename
(an exception, a full disk, Ctrl-C), the temporary is removed and the target is untouched. Only
a hard kill can leave a stray ``.<name>.<8 hex digits>.tmp``: each writer holds an ``flock`` on
its temporary, so the next write of the target deletes the strays it can lock (not on Windows).

Example:
  >>> import os, tempfile
  >>> from jaxmlp.io.atomic import atomic_write_text
  >>> path = os.path.join(tempfile.mkdtemp(), "summary.json")
  >>> atomic_write_text(path, '{"accuracy": 0.97}\\n')
  >>> open(path).read()
  '{"accuracy": 0.97}\\n'
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


@contextlib.contextmanager
def atomic_writer(
    path: str | os.PathLike, mode: str = "wb", *, encoding: str | None = None
) -> Iterator[IO]:
    """A temporary file, in ``mode``, that replaces ``path`` when the ``with`` block ends
    (e.g. for ``np.savez(f, ...)``); if the block raises, ``path`` is untouched.

    Args:
      path: the file to create or replace; its directory must exist.
      mode: ``"wb"`` (bytes) or ``"w"`` (text).
      encoding: the text encoding for ``mode="w"`` (default UTF-8).

    Raises:
      ValueError: another ``mode``, or an ``encoding`` with ``"wb"``.
      FileNotFoundError: the directory of ``path`` does not exist.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    if mode == "wb" and encoding is not None:
        raise ValueError(f"encoding is for mode='w' only, got encoding={encoding!r} with 'wb'")
    if mode == "w":
        # Looked up now, so that opening the temporary file below cannot fail and leak it.
        encoding = codecs.lookup(encoding or "utf-8").name
    path = Path(path)
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {path}: directory {directory} does not exist")

    temporary, fd = _create_temporary(path)
    # With flock, the descriptor (so the lock) stays open past the rename; Windows cannot
    # rename an open file.
    locked = fcntl is not None
    try:
        with os.fdopen(fd, mode, encoding=encoding, closefd=not locked) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        # BaseException too: Ctrl-C in the middle of a save must not leave the temporary behind.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    finally:
        if locked:
            os.close(fd)
    if os.name == "posix":  # makes the rename durable; Windows cannot open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _remove_strays(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically; its directory must exist."""
    with atomic_writer(path, "wb") as file:
        file.write(data)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Writes ``text`` to ``path`` atomically, ``"\\n"`` as is on every platform."""
    atomic_write_bytes(path, text.encode(encoding))


def _create_temporary(path: Path) -> tuple[Path, int]:
    """Creates a new hidden file beside ``path``; returns its path and an open descriptor."""
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            # Mode 0o666 less the umask, as open() gives; mkstemp's 0o600 would reach the target.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        if fcntl is not None:
            # Held until closed or the process dies: a write in progress, for _remove_strays.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return temporary, fd


def _remove_strays(path: Path) -> None:
    """Deletes the temporary files of writes of ``path`` that a hard kill left behind."""
    if fcntl is None:
        return
    stray = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}\.tmp")
    with os.scandir(path.parent) as entries:
        names = [e.name for e in entries if stray.fullmatch(e.name) and e.is_file()]
    for name in names:
        try:
            fd = os.open(path.parent / name, os.O_RDONLY)
        except OSError:  # gone already, or not ours to read
            continue
        try:
            # The lock fails while a write is in progress: that file is left alone.
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.unlink(path.parent / name)
        finally:
            os.close(fd)
