"""Atomic file writes: a reader sees the old file or the new one, never a half-written one.

The protocol: write a temporary file in the target's directory (so the rename below never crosses
file systems), flush and ``os.fsync`` it, ``os.replace`` it onto the target (atomic on POSIX and
Windows), then ``fsync`` the directory so the rename itself survives a power loss. If anything
fails before the rename (an exception in the writer, a full disk, Ctrl-C), the temporary file is
removed and the target is left exactly as it was.

Only a hard kill (SIGKILL, power loss) between creating the temporary file and the rename can
leave a stray ``.<name>.<8 hex digits>.tmp`` beside the target; it is never mistaken for the
target, and the next successful write of the same target deletes it. A writer holds an
exclusive ``flock`` on its temporary file until the rename, and the kernel drops the lock when
the process dies: a temporary file that can be locked is a stray, one that cannot belongs to a
write in progress (in this process or another) and is left alone. Only names of exactly this
form, beside the target just written, are ever deleted. (Windows has no ``flock``: a stray
stays there, and may be deleted by hand.)

Example:
  >>> import os, tempfile
  >>> from jaxmlp.atomic import atomic_write_text
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
    """Opens a temporary file that replaces ``path`` atomically when the ``with`` block ends.

    Use it for writers that want a file object, e.g. ``figure.savefig(f, format="png")`` or
    ``np.savez(f, ...)``. If the block raises, ``path`` is untouched and the temporary file is
    removed.

    Args:
      path: the file to create or replace; its directory must exist.
      mode: ``"wb"`` (bytes) or ``"w"`` (text).
      encoding: the text encoding for ``mode="w"``; ``"utf-8"`` when not given.

    Yields:
      The open temporary file, in ``mode``.

    Raises:
      ValueError: ``mode`` is neither ``"wb"`` nor ``"w"``.
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
    # With flock, the descriptor (and so the lock) stays open until after the rename; Windows
    # cannot rename an open file.
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
    _fsync_directory(directory)
    _remove_strays(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically (see the module docstring).

    Args:
      path: the file to create or replace; its directory must exist.
      data: the complete new contents.
    """
    with atomic_writer(path, "wb") as file:
        file.write(data)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Writes ``text`` to ``path`` atomically (see the module docstring).

    Args:
      path: the file to create or replace; its directory must exist.
      text: the complete new contents; ``"\\n"`` is written as is on every platform.
      encoding: the text encoding.
    """
    atomic_write_bytes(path, text.encode(encoding))


def _create_temporary(path: Path) -> tuple[Path, int]:
    """Creates a new hidden file beside ``path``; returns its path and an open descriptor."""
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            # Mode 0o666 filtered by the umask, like open(); tempfile.mkstemp would give 0o600,
            # and os.replace would carry that onto the target.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        if fcntl is not None:
            # Held until the descriptor is closed (or the process dies): marks the file as a
            # write in progress for _remove_strays. A new file: nobody else holds it.
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
        candidate = path.parent / name
        try:
            fd = os.open(candidate, os.O_RDONLY)
        except OSError:  # gone already, or not ours to read
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # locked: a write in progress
            os.close(fd)
            continue
        try:
            with contextlib.suppress(OSError):
                os.unlink(candidate)
        finally:
            os.close(fd)


def _fsync_directory(directory: Path) -> None:
    """Makes a rename inside ``directory`` durable (POSIX only: Windows cannot open directories)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
