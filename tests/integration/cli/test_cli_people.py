"""`me` and `consent`: who the user is, and who is kept out."""

import json

from assistant.demo import DEMO_ALIASES, DEMO_EXCLUDED, DEMO_ME


def _table_rows(output: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("│").split("│")] for line in output.splitlines() if line.startswith("│")]


def test_me_suggests_the_sender_present_in_most_threads(cli, ingested):
    result = cli("me")
    assert result.exit_code == 0
    rows = _table_rows(result.output)
    # Alex writes in both WhatsApp chats; Maya too, but less. Each alias is one thread of its own.
    assert rows[0][:2] == [DEMO_ME, "2"] and rows[1][:2] == ["Maya Chen", "2"]
    assert f'predraft me set "{DEMO_ME}"' in result.output


def test_me_set_with_aliases_merges_the_users_names(cli, ingested):
    before = json.loads(cli("stats", "--json").output)
    result = cli("me", "set", DEMO_ME, "--alias", DEMO_ALIASES[0], "--alias", DEMO_ALIASES[1])

    assert result.exit_code == 0
    assert f"You are now {DEMO_ME} (linked: Alex R, alexr)." in result.output
    assert f"You are {DEMO_ME}." in cli("me").output
    stats = json.loads(cli("stats", "--json").output)
    mine = {c["name"]: c["messages"] for c in stats["by_contact"] if c["is_me"]}
    assert list(mine) == [DEMO_ME]
    assert mine[DEMO_ME] == sum(c["messages"] for c in before["by_contact"] if c["name"] in (DEMO_ME, *DEMO_ALIASES))
    assert stats["my_messages"] == mine[DEMO_ME]


def test_me_set_with_an_unknown_alias_is_an_error_and_changes_nothing(cli, ingested):
    result = cli("me", "set", DEMO_ME, "--alias", "Alexander the Great")
    assert result.exit_code != 0
    assert "no contact named 'Alexander the Great'" in str(result.exception)
    assert json.loads(cli("stats", "--json").output)["me"] is None


def test_consent_exclude_list_include(cli, ingested):
    assert cli("consent", "list").output.strip() == "No contact is excluded."

    excluded = cli("consent", "exclude", DEMO_EXCLUDED)
    assert excluded.exit_code == 0
    assert f"Excluded {DEMO_EXCLUDED} (mode: drop-thread)" in excluded.output
    assert cli("consent", "list").output.split() == [*DEMO_EXCLUDED.split(), "excluded", "(drop-thread)"]
    stats = json.loads(cli("stats", "--json").output)
    assert [c["name"] for c in stats["by_contact"] if c["excluded"]] == [DEMO_EXCLUDED]

    included = cli("consent", "include", DEMO_EXCLUDED)
    assert included.exit_code == 0 and f"Included {DEMO_EXCLUDED}." in included.output
    assert cli("consent", "list").output.strip() == "No contact is excluded."


def test_the_user_cannot_exclude_themselves(cli, ingested):
    cli("me", "set", DEMO_ME)
    result = cli("consent", "exclude", DEMO_ME)
    assert result.exit_code != 0
    assert "is you" in str(result.exception)
