"""agreements.infra.storage.atomic_write: the one way the app writes a file outside Django's storage."""

import stat

import pytest

from agreements.infra.storage import atomic_write


def test_it_writes_the_file_with_the_given_mode(tmp_path):
    path = tmp_path / "sub" / "out.pdf"

    with atomic_write(path, mode=0o644) as out:
        out.write(b"%PDF-1.7\n")

    assert path.read_bytes() == b"%PDF-1.7\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["out.pdf"]


def test_it_replaces_an_existing_file_only_when_the_block_ends(tmp_path):
    path = tmp_path / "out.zip"
    path.write_bytes(b"old")

    with atomic_write(path) as out:
        out.write(b"new")
        assert path.read_bytes() == b"old"

    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_it_keeps_the_old_file_and_leaves_no_temporary_file_when_writing_fails(tmp_path):
    path = tmp_path / "out.zip"
    path.write_bytes(b"old")

    with pytest.raises(RuntimeError), atomic_write(path) as out:
        out.write(b"half")
        raise RuntimeError("disk full")

    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.zip"]


def test_it_returns_what_the_block_returns(tmp_path):
    def export():
        with atomic_write(tmp_path / "a.bin") as out:
            out.write(b"x")
            return "result"

    assert export() == "result"
    assert (tmp_path / "a.bin").read_bytes() == b"x"
