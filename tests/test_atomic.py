"""Atomic writes: the target holds the old contents or the new ones, and no temporary file stays."""

import errno
import os
import signal
import subprocess
import sys

import pytest

from jaxmlp.io.atomic import atomic_write_bytes, atomic_write_text, atomic_writer


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_write_creates_and_replaces(tmp_path):
    path = tmp_path / "summary.json"
    atomic_write_text(path, '{"accuracy": 0.5}\n')
    atomic_write_text(path, '{"accuracy": 0.97, "name": "café"}\n')
    assert path.read_bytes() == '{"accuracy": 0.97, "name": "café"}\n'.encode()
    atomic_write_bytes(path, b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    assert os.listdir(tmp_path) == ["summary.json"]


def test_writer_gives_a_file_object(tmp_path):
    path = tmp_path / "predictions.csv"
    with atomic_writer(path, "w") as file:
        file.write("index,label\n")
        file.write("0,3\n")
        # Nothing is visible at the target until the block ends.
        assert not path.exists()
    assert path.read_text() == "index,label\n0,3\n"


def test_new_file_permissions_follow_the_umask_like_open(tmp_path):
    atomic_write_text(tmp_path / "atomic.txt", "x")
    (tmp_path / "plain.txt").write_text("x")
    assert os.stat(tmp_path / "atomic.txt").st_mode == os.stat(tmp_path / "plain.txt").st_mode


@pytest.mark.parametrize("error", [ValueError("bad figure"), KeyboardInterrupt()], ids=repr)
def test_error_in_the_writer_keeps_the_old_file(tmp_path, error):
    path = tmp_path / "metrics.json"
    atomic_write_text(path, "old")
    with pytest.raises(type(error)):
        with atomic_writer(path, "w") as file:
            file.write("half of the new")
            raise error
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["metrics.json"]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failing_fsync_or_replace_keeps_the_old_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "metrics.json"
    atomic_write_text(path, "old")
    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["metrics.json"]


def test_file_and_directory_are_synced(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    atomic_write_bytes(tmp_path / "figure.png", b"png")
    assert synced == [False, True]  # the file, then its directory (the rename)


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="directory .*runs/a does not exist"):
        atomic_write_text(tmp_path / "runs" / "a" / "summary.json", "{}")


@pytest.mark.parametrize(
    "mode, encoding", [("a", None), ("wb", "utf-8")], ids=["append", "binary-with-encoding"]
)
def test_bad_arguments_are_refused_before_writing(tmp_path, mode, encoding):
    with pytest.raises(ValueError, match="mode|encoding"):
        with atomic_writer(tmp_path / "x", mode, encoding=encoding):
            pass
    assert os.listdir(tmp_path) == []


KILLED_SAVE = """
import os, signal, sys
from jaxmlp.io.atomic import atomic_writer
with atomic_writer(sys.argv[1]) as file:
    file.write(b"half a checkpoint")
    file.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.heavy
@pytest.mark.skipif(os.name != "posix", reason="strays are recognised by flock (POSIX)")
def test_the_next_save_removes_the_temporary_file_of_a_killed_save(tmp_path):
    path = tmp_path / "checkpoint.npz"
    atomic_write_bytes(path, b"old")
    killed = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)])
    assert killed.returncode == -signal.SIGKILL
    strays = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(strays) == 1 and strays[0].startswith(".checkpoint.npz.")
    assert path.read_bytes() == b"old"
    # Files that only look alike are the user's: another target's, other names.
    others = [".summary.json.0123abcd.tmp", ".checkpoint.npz.backup.tmp", "checkpoint.npz.tmp"]
    for name in others:
        (tmp_path / name).write_text("not a stray of checkpoint.npz")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == sorted(["checkpoint.npz", *others])


def test_a_save_in_progress_keeps_its_temporary_file(tmp_path):
    path = tmp_path / "summary.json"
    with atomic_writer(path) as outer:
        outer.write(b"outer")
        atomic_write_bytes(path, b"inner")  # another write of the same file ends first
        assert path.read_bytes() == b"inner"
    assert path.read_bytes() == b"outer"
    assert os.listdir(tmp_path) == ["summary.json"]
