"""The data dir: private when predraft creates it; a folder the user gives keeps its mode, with a warning."""

from __future__ import annotations

import stat

from typer.testing import CliRunner

from assistant.cli import app
from assistant.config import ensure_data_dir


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_folder_predraft_creates_is_private(tmp_path):
    folder = tmp_path / "new" / "predraft"
    assert ensure_data_dir(folder) is None
    assert _mode(folder) == 0o700


def test_an_existing_folder_keeps_its_mode_and_a_readable_one_is_warned_about(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    warning = ensure_data_dir(shared)
    assert _mode(shared) == 0o755
    assert warning == (f"{shared} is readable by other users of this machine (mode 0755) and holds your messages: "
                       f"`chmod 700 {shared}` makes it private")

    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0o711)  # others may pass through, not list or read
    assert ensure_data_dir(private) is None and _mode(private) == 0o711


def test_data_dir_flag_leaves_an_existing_folder_as_it_is(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o750)
    result = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["--data-dir", str(home), "threads", "--json"])
    assert result.exit_code == 0, result.output
    assert _mode(home) == 0o750
    assert f"warning: {home} is readable by other users of this machine (mode 0750)" in result.output
