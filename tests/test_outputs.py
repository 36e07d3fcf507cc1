"""The rule for files the application writes: no silent replacing, no half files."""

import pytest

from sudoku_tf.outputs import check_free, write_text


def test_an_existing_file_is_replaced_only_with_force(tmp_path):
    out = tmp_path / "sub" / "r.html"
    write_text(out, "old")
    with pytest.raises(FileExistsError, match=f"{out} exists; pass --force to replace it"):
        write_text(out, "new")
    assert out.read_text() == "old"
    write_text(out, "new", force=True)
    assert out.read_text() == "new"


def test_check_free_names_the_first_existing_path(tmp_path):
    (tmp_path / "b").write_text("")
    check_free([tmp_path / "a"])
    with pytest.raises(FileExistsError, match="/b exists"):
        check_free([tmp_path / "a", tmp_path / "b"])
    check_free([tmp_path / "b"], force=True)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    out = tmp_path / "sub" / "r.html"
    write_text(out, "old")

    def disk_full(*args):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", disk_full)
    with pytest.raises(OSError, match="disk full"):
        write_text(out, "new", force=True)
    assert out.read_text() == "old" and [p.name for p in out.parent.iterdir()] == ["r.html"]


def test_a_path_under_a_file_is_refused_naming_the_file_asked_for(tmp_path):
    (tmp_path / "notes").write_text("a file, not a folder\n")
    target = tmp_path / "notes" / "out.txt"
    with pytest.raises(OSError) as caught:
        write_text(target, "x")
    assert caught.value.filename == str(target)
    assert caught.value.strerror == f"cannot write there ({tmp_path / 'notes'} is not a folder)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]
