"""`predraft live matrix` against a real Synapse on loopback: the other user's messages are pre-drafted, the
user's accepted and confirmed reply is what the other user receives, and a restart resumes where it was."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.ingest.live.base import LiveError
from assistant.ingest.live.matrix import MatrixSource
from graphs.predraft.live import accept, sync
from tests.integration.cli.cli_support import PREDRAFT
from tests.integration.live.synapse import SYNAPSE_PYTHON, Synapse, User

pytestmark = pytest.mark.skipif(not SYNAPSE_PYTHON.exists(),
                                reason=f"no Synapse at {SYNAPSE_PYTHON}: run `scripts/setup.sh --synapse`")

ALEX_PASSWORD = "alex-password"


@pytest.fixture(scope="module")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Synapse, User, User]]:
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server, server.register("alex", ALEX_PASSWORD), server.register("bob", "bob-password")
    finally:
        server.stop()


@pytest.fixture
def room(homeserver) -> str:
    """A direct chat with some history: Bob asked, Alex answered."""
    _, alex, bob = homeserver
    room_id = bob.create_room(invite=alex)
    alex.join(room_id)
    bob.send(room_id, "are you coming tonight?")
    alex.send(room_id, "yes! what time?")
    return room_id


def alex_source(data_dir: Path, server: Synapse, *, password: str = ALEX_PASSWORD, confirm=lambda _t, _x: True,
                url: str | None = None) -> MatrixSource:
    return MatrixSource(data_dir, url or server.url, "@alex:localhost", password=lambda: password, confirm=confirm)


def test_the_other_side_writes_predraft_drafts_the_user_accepts_and_exactly_that_is_sent(live_chain, homeserver, room):
    server, alex, bob = homeserver
    data_dir = live_chain.settings.data_dir
    source = alex_source(data_dir, server)
    source.log_in()
    source.follow([room])
    first = sync(live_chain, source)
    assert first.backfill and first.report.messages_added == 2 and first.updates == []
    assert live_chain.corpus.me().name == "alex"  # the logged-in account is the user
    session = source.session_path
    assert stat.S_IMODE(session.stat().st_mode) == 0o600 and ALEX_PASSWORD not in session.read_text()

    bob.send(room, "at 8, bring the speaker")
    news = sync(live_chain, source, wait_s=10)
    [update] = news.updates
    assert (update.title, update.new_messages, update.outcome) == ("bob", 1, "new_chain")
    assert update.view.prompt.endswith("bob: at 8, bring the speaker\nMe:")

    with pytest.raises(LiveError, match="sending to bob is not allowed.*nothing was sent"):
        accept(live_chain, source, update.view, 0)
    source.allow_send(room)
    declined = alex_source(data_dir, server, confirm=lambda _t, _x: False)
    with pytest.raises(LiveError, match="not sent to bob: you did not confirm"):
        accept(live_chain, declined, update.view, 0)
    declined.close()
    assert bob.texts(room)[-1] == (bob.user_id, "at 8, bring the speaker")  # nothing sent so far

    assert accept(live_chain, source, update.view, 0) == "sent to bob"
    drafted = update.view.candidates[0].text
    assert bob.texts(room)[-1] == (alex.user_id, drafted)
    chain_id = live_chain.latest_chain(update.thread_id)
    source.close()

    # A restart: the stored token logs in (no password asked), the stored sync token resumes.
    restarted = alex_source(data_dir, server, password="never asked")
    restarted.log_in()
    resumed = sync(live_chain, restarted)
    assert not resumed.backfill and resumed.report.messages_added == 1  # only Alex's own sent reply
    assert [u.outcome for u in resumed.updates] == ["your_turn_taken"]
    assert sync(live_chain, restarted).report is None
    texts = [m.text for m in live_chain.corpus.messages(update.thread_id)]
    assert texts == ["are you coming tonight?", "yes! what time?", "at 8, bring the speaker", drafted]
    assert live_chain.latest_chain(update.thread_id) == chain_id  # not drafted again
    restarted.close()


def test_edits_and_deletions_change_the_stored_message(live_chain, homeserver, room):
    server, _alex, bob = homeserver
    source = alex_source(live_chain.settings.data_dir, server)
    source.log_in()
    source.follow([room])
    sync(live_chain, source)
    event_id = bob.send(room, "see you at 9")
    sync(live_chain, source, wait_s=10)
    bob.send(room, "", content={"msgtype": "m.text", "body": "* see you at 8", "m.new_content": {
        "msgtype": "m.text", "body": "see you at 8"}, "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}})
    edited = sync(live_chain, source, wait_s=10)
    assert edited.report.messages_updated == 1
    thread_id = live_chain.corpus.thread(room).id
    [stored] = [m for m in live_chain.corpus.messages(thread_id) if m.message_id == event_id]
    assert (stored.text, stored.edited) == ("see you at 8", True)
    bob.http.put(f"/rooms/{room}/redact/{event_id}/r1", json={}).raise_for_status()
    sync(live_chain, source, wait_s=10)
    [stored] = [m for m in live_chain.corpus.messages(thread_id) if m.message_id == event_id]
    assert stored.unsent
    source.close()


def test_an_encrypted_room_is_named_with_what_to_do(live_chain, homeserver):
    server, alex, bob = homeserver
    secret_room = bob.create_room(invite=alex, encrypted=True)
    alex.join(secret_room)
    bob.send(secret_room, "", "m.room.encrypted", {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA",
                                                    "sender_key": "k", "device_id": "D", "session_id": "s"})
    source = alex_source(live_chain.settings.data_dir, server)
    source.log_in()
    source.follow([secret_room])
    [note] = sync(live_chain, source).notes
    assert note.startswith("bob (" + secret_room + ") is end-to-end encrypted and predraft cannot decrypt it")
    assert "`predraft ingest`" in note
    source.close()


def test_clear_errors_for_a_wrong_password_an_unreachable_server_and_a_room_left(live_chain, homeserver, room):
    server, alex, _bob = homeserver
    data_dir = live_chain.settings.data_dir
    wrong = alex_source(data_dir, server, password="not it")
    with pytest.raises(LiveError, match=r"^wrong password for @alex:localhost on http://127\.0\.0\.1:\d+$"):
        wrong.log_in()
    wrong.close()
    assert not wrong.session_path.exists()

    nowhere = alex_source(data_dir, server, url="http://127.0.0.1:9")
    with pytest.raises(LiveError, match=r"^cannot reach the homeserver http://127\.0\.0\.1:9 .*check the URL"):
        nowhere.log_in()
    nowhere.close()

    source = alex_source(data_dir, server)
    source.log_in()
    alex.leave(room)
    with pytest.raises(LiveError, match=f"you are not in {room} \\(left, or never joined\\)"):
        source.follow([room])
    source.close()


def run_cli(*args: str, password: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREDRAFT_MATRIX_PASSWORD": password}
    return subprocess.run([str(PREDRAFT), "live", "matrix", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)


def test_the_command_says_a_wrong_password_in_one_line_and_lists_rooms_to_choose_from(homeserver, room):
    server, _alex, _bob = homeserver
    wrong = run_cli("--homeserver", server.url, "--user", "@alex:localhost", password="not it")
    assert (wrong.returncode, wrong.stderr.strip()) == (2, f"error: wrong password for @alex:localhost on {server.url}")
    listed = run_cli("--homeserver", server.url, "--user", "@alex:localhost", password=ALEX_PASSWORD)
    assert listed.returncode == 2
    assert room in listed.stdout and "bob" in listed.stdout
    assert "pass --room ROOM_ID" in listed.stderr
