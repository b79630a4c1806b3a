"""`stats`: the JSON every number comes from, the terminal chart and the PNG."""

import json

from cli_support import DEMO_MESSAGES

from typer.testing import CliRunner

from assistant.cli import app  # the package registers every command
from assistant.demo import DEMO_ALIASES, DEMO_ME

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_stats_json_has_totals_and_per_source_details(cli, ingested):
    cli("me", "set", DEMO_ME, "--alias", DEMO_ALIASES[0], "--alias", DEMO_ALIASES[1])
    stats = json.loads(cli("stats", "--json").output)

    assert {"messages", "threads", "me", "my_messages", "my_share", "by_platform", "by_year", "by_contact",
            "sources"} <= stats.keys()
    assert (stats["messages"], stats["threads"], stats["me"]) == (sum(DEMO_MESSAGES.values()), 4, DEMO_ME)
    assert stats["by_platform"] == {"whatsapp": 739, "telegram": 290, "discord": 122}
    assert [y["year"] for y in stats["by_year"]] == [2022, 2023, 2024, 2025]
    sources = {s["path"].rsplit("/", 1)[-1]: s for s in stats["sources"]}
    assert {name: s["messages_seen"] for name, s in sources.items()} == DEMO_MESSAGES
    crew = sources["WhatsApp Chat with Climbing Crew.txt"]
    assert crew["format"] == "whatsapp"
    assert crew["senders"] == ["Alex Rivera", "Maya Chen", "Priya Nair", "Tom Becker"]
    assert set(crew["by_kind"]) == {"text", "media", "system"} and sum(crew["by_kind"].values()) == 167
    assert crew["first"].startswith("2022-01-1") and crew["last"].startswith("2025-")
    telegram = sources["telegram_sam"]
    assert telegram["senders"] == ["Alex R", "Sam Okafor"]  # as exported: the alias link is the people table's
    assert telegram["by_kind"]["system"] == 1  # the call at the start


def test_stats_prints_a_chart_and_writes_the_png(cli, ingested, data_dir, tmp_path):
    result = cli("stats")
    assert result.exit_code == 0, result.output
    assert f"{sum(DEMO_MESSAGES.values())} messages in 4 threads" in result.output
    assert (data_dir / "stats.png").read_bytes().startswith(PNG_MAGIC)

    chosen = tmp_path / "charts" / "corpus.png"
    assert cli("stats", "--png", chosen).exit_code == 0
    assert chosen.read_bytes().startswith(PNG_MAGIC)


def test_stats_off_a_terminal_prints_no_colour_codes(ingested, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    result = CliRunner(env={"COLUMNS": "120"}).invoke(app, ["stats"])  # output captured: not a terminal
    assert result.exit_code == 0, result.output
    assert "messages per year" in result.output
    assert "\x1b[" not in result.output


def test_stats_on_an_empty_corpus_says_so_and_draws_nothing(cli, data_dir):
    result = cli("stats")
    assert result.exit_code == 0
    assert "0 messages in 0 threads" in result.output
    assert not (data_dir / "stats.png").exists()
