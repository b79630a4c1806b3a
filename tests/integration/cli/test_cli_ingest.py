import json
import stat
import subprocess

from cli_support import DEMO_MESSAGES, PREDRAFT


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def _failed_files(output: str) -> list[str]:
    """The file name each "error: PATH: message" line names."""
    return [line.split(": ")[1].rsplit("/", 1)[-1] for line in _error_lines(output)]


def _bad_files(folder):
    (folder / "junk.txt").write_bytes(bytes(range(256)) * 8)  # binary junk with a chat-like extension
    good = (folder / "Direct Messages - Jordan Lee [1098765432109876543].json").read_text(encoding="utf-8")
    (folder / "truncated.json").write_text(good[:3000], encoding="utf-8")  # a Discord export cut short
    (folder / "notes.csv").write_text("name,amount\nclimbing shoes,120\n", encoding="utf-8")


def test_ingest_reports_each_bad_file_once_and_imports_the_good_ones(cli, exports, data_dir):
    _bad_files(exports)
    result = cli("ingest", exports, "--timezone", "America/Chicago")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = _error_lines(result.output)
    assert _failed_files(result.output) == ["junk.txt", "notes.csv", "truncated.json"]
    assert "unknown format" in errors[0] and "pass --format" in errors[0]
    assert "expected complete, well-formed JSON" in errors[2]
    stats = json.loads(cli("stats", "--json").output)
    assert stats["messages"] == sum(DEMO_MESSAGES.values())
    assert sorted(s["path"].rsplit("/", 1)[-1] for s in stats["sources"]) == sorted(DEMO_MESSAGES)


def test_installed_script_exits_1_without_a_traceback(exports, data_dir, tmp_path):
    _bad_files(exports)
    done = subprocess.run([PREDRAFT, "ingest", exports / "junk.txt", exports / "notes.csv"],
                          capture_output=True, text=True, env={"PREDRAFT_DATA_DIR": str(data_dir), "COLUMNS": "300",
                                                               "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert len(_error_lines(done.stderr)) == 2 and done.stdout == ""


def test_unknown_format_name_is_a_clear_error(cli, exports):
    result = cli("ingest", exports / "WhatsApp Chat with Maya Chen.txt", "--format", "whatsup")

    assert result.exit_code == 1
    (line,) = _error_lines(result.output)
    assert "unknown format 'whatsup'" in line and "whatsapp" in line and "telegram" in line
    assert json.loads(cli("stats", "--json").output)["messages"] == 0


def test_forced_format_reads_a_file_auto_detection_would_not_name(cli, exports, tmp_path):
    renamed = tmp_path / "chat-backup.log"
    renamed.write_bytes((exports / "WhatsApp Chat with Maya Chen.txt").read_bytes())
    result = cli("ingest", renamed, "--format", "whatsapp", "--timezone", "America/Chicago")
    assert result.exit_code == 0, result.output
    assert json.loads(cli("stats", "--json").output)["messages"] == DEMO_MESSAGES["WhatsApp Chat with Maya Chen.txt"]


def test_rerun_adds_nothing(cli, ingested):
    before = json.loads(cli("stats", "--json").output)
    again = cli("ingest", ingested, "--timezone", "America/Chicago")

    assert again.exit_code == 0
    assert again.output.count("already imported") == len(DEMO_MESSAGES)
    after = json.loads(cli("stats", "--json").output)
    assert (after["messages"], len(after["sources"])) == (before["messages"], len(DEMO_MESSAGES))


def test_data_dir_is_created_private(cli, ingested, data_dir):
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert (data_dir / "corpus.sqlite").is_file()


def test_formats_lists_the_parsers_the_demo_needs(cli):
    result = cli("formats")
    assert result.exit_code == 0
    names = {line.split()[1] for line in result.output.splitlines() if line.startswith("│")}
    assert {"whatsapp", "telegram", "discord"} <= names


def test_threads_json_lists_each_conversation_with_its_message_count(cli, ingested):
    threads = json.loads(cli("threads", "--json").output)
    assert sorted((t["platform"], t["title"], t["group"], t["messages"]) for t in threads) == [
        ("discord", "Jordan Lee", False, 122),
        ("telegram", "Sam Okafor", False, 290),
        ("whatsapp", "Climbing Crew", True, 167),
        ("whatsapp", "Maya Chen", False, 572),
    ]


def test_a_folder_with_one_whatsapp_chat_beside_other_exports_is_read_file_by_file(cli, exports, tmp_path):
    # A single WhatsApp chat makes a folder look like an unpacked WhatsApp export; the Discord JSON and
    # the Telegram folder beside it must still be imported, and the junk still reported.
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for name in ("WhatsApp Chat with Maya Chen.txt", "Direct Messages - Jordan Lee [1098765432109876543].json"):
        (downloads / name).write_bytes((exports / name).read_bytes())
    (exports / "telegram_sam").rename(downloads / "telegram_sam")
    (downloads / "junk.txt").write_bytes(bytes(range(256)) * 8)

    result = cli("ingest", downloads, "--timezone", "America/Chicago")

    assert result.exit_code == 1
    assert _failed_files(result.output) == ["junk.txt"]
    stats = json.loads(cli("stats", "--json").output)
    assert stats["by_platform"] == {"whatsapp": 572, "telegram": 290, "discord": 122}


def test_each_file_gets_one_line_and_its_warnings_indented_under_it(cli, tmp_path):
    chat = tmp_path / "WhatsApp Chat with Sam.txt"
    chat.write_text("1/5/23, 09:00 - Sam: hi\n1/5/23, 09:01 - Alex: yo\n12/30/99, 09:02 - Sam: from the future\n",
                    encoding="utf-8")

    result = cli("ingest", chat, "--timezone", "UTC")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{chat}: whatsapp, 3 messages (3 new), 2 senders, 2023-01-05 to 2099-12-30 [text 3]",
        "  warning: file: 1 message(s) dated more than a day in the future (latest 2099-12-30): check the "
        "day/month order (--date-order)",
    ]
    assert cli("ingest", chat).stdout.splitlines() == [f"{chat}: already imported"]
