import re

PANEL_TITLE = re.compile(r"^╭─ (.+?) ─")
COMMAND_ROW = re.compile(r"^│ (\S+) ")  # a wrapped description continues on a row that starts with spaces


def _panels(output: str) -> dict[str, list[str]]:
    """Panel title -> the commands (or options) listed in it, both in the order shown."""
    panels: dict[str, list[str]] = {}
    for line in output.splitlines():
        if title := PANEL_TITLE.match(line):
            rows = panels[title[1]] = []
        elif row := COMMAND_ROW.match(line):
            rows.append(row[1])
    return panels


def test_help_lists_the_command_panels_in_the_order_of_the_flow(cli):
    result = cli("--help")

    assert result.exit_code == 0, result.output
    panels = _panels(result.output)
    assert list(panels) == [
        "Options", "1. Collect", "2. People and consent", "3. Train", "4. Retrieve", "5. Draft and review", "Try it",
    ]
    # within a panel, the commands the flow names come first, in its order
    assert panels["1. Collect"][0] == "ingest"
    assert panels["2. People and consent"] == ["me", "consent"]
    assert panels["3. Train"] == ["dataset", "train", "export", "eval"]
    assert panels["5. Draft and review"][:2] == ["draft", "review"]


def test_help_names_the_config_key_behind_each_default(cli):
    # Typer renders help with rich markup: an unescaped "[default: ...]" would vanish as a style tag.
    result = cli("dataset", "build", "--help")

    assert result.exit_code == 0, result.output
    assert "[default: dataset.val_fraction]" in result.output
