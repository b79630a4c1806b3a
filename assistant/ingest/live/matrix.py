"""Follow chosen rooms of the user's own Matrix account; send an accepted reply only where and when they say.

The password is asked once; the access token the homeserver returns is kept in the data dir (0600)
and used from then on. The first sync of an account backfills each room's history; later ones start
from the stored sync token. Sending needs two things from the person: sending allowed for that room
(`allow_send`, stored per room) and a yes to the text at hand (`confirm`). Rooms with end-to-end
encryption cannot be read (matrix-nio is installed without libolm): they are named in a note.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import ClientError
from nio import (AsyncClient, AsyncClientConfig, ErrorResponse, JoinedRoomsResponse, LoginResponse, MatrixRoom,
                 RoomMessagesResponse, RoomSendResponse, SyncResponse)

from assistant.corpus.models import Event, Thread
from assistant.corpus.store import Corpus
from assistant.ingest.live.base import Batch, LiveError, LiveSource, read_json, state_file, write_json
from assistant.ingest.live.matrix_events import ENCRYPTED_EVENTS, message, room_thread

# nio logs a warning for each error response that misses its schema (a failed login has no user_id);
# the error itself reaches the user as one line of ours.
logging.getLogger("nio").setLevel(logging.ERROR)
T = TypeVar("T")
TIMELINE_LIMIT = 50  # events per room in one sync; more history comes from paginating back
BACKFILL_PAGE = 100
NOTHING_ELSE = {"not_types": ["*"]}  # presence, account data: not needed, not fetched


class MatrixSource(LiveSource):
    name = "matrix"

    def __init__(self, data_dir: Path, homeserver: str, user_id: str, *, password: Callable[[], str],
                 confirm: Callable[[str, str], bool], backfill: int = 500):
        self.homeserver, self.user_id = homeserver.rstrip("/"), user_id
        self.password, self.confirm, self.backfill = password, confirm, backfill
        self.session_path = state_file(data_dir, self.name, self.account, "session")
        self.rooms_path = state_file(data_dir, self.name, self.account, "rooms")
        self.settings: dict[str, list[str]] = read_json(self.rooms_path) or {"follow": [], "send": []}
        self.loop = asyncio.new_event_loop()
        # One retry on a dropped connection, then a clear error rather than nio's endless backoff.
        config = AsyncClientConfig(max_timeouts=1, request_timeout=30)
        self.client = AsyncClient(self.homeserver, user_id, config=config)
        self.synced_state = False  # the first sync of a process fetches the rooms' full state (names, members)

    @property
    def account(self) -> str:
        return f"{self.user_id}@{self.homeserver}"

    @classmethod
    def reopen(cls, data_dir: Path, account: str, confirm: Callable[[str, str], bool]) -> MatrixSource:
        """The source `account` names, logged in with its stored token (a Matrix id has no "@" after its first)."""
        user, _, homeserver = account[1:].partition("@")

        def no_token() -> str:
            raise LiveError(f"not logged in as @{user} on this data dir: run `predraft live matrix "
                            f"--homeserver {homeserver} --user @{user}` once")

        source = cls(data_dir, homeserver, "@" + user, password=no_token, confirm=confirm)
        try:
            source.log_in()
        except LiveError:
            source.loop.close()  # nothing ran on it; close() would, and it may be called inside another loop
            raise
        return source

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()

    def _run(self, step: Coroutine[Any, Any, T]) -> T:
        try:
            return self.loop.run_until_complete(step)
        except (ClientError, TimeoutError, OSError) as exc:
            raise LiveError(f"cannot reach the homeserver {self.homeserver} ({type(exc).__name__}: {exc}): "
                            "check the URL and that the server is up") from None

    # ---- logging in, choosing rooms -----------------------------------------------------------

    def log_in(self) -> None:
        """The stored access token, else the password (asked once) for a new one, stored 0600."""
        session = read_json(self.session_path)
        if session:
            self.client.restore_login(self.user_id, session["device_id"], session["access_token"])
            return
        response = self._run(self.client.login(self.password(), device_name="predraft"))
        if not isinstance(response, LoginResponse):
            if response.status_code == "M_FORBIDDEN":
                raise LiveError(f"wrong password for {self.user_id} on {self.homeserver}")
            raise LiveError(f"{self.homeserver} refused the login of {self.user_id}: {response.message}")
        write_json(self.session_path, {"device_id": response.device_id, "access_token": response.access_token})

    def joined_rooms(self) -> dict[str, str]:
        """Room id -> name, of every room the user is in."""
        response = self._checked(self._run(self.client.joined_rooms()))
        assert isinstance(response, JoinedRoomsResponse)
        self._sync_state()
        return {r: self.client.rooms[r].display_name if r in self.client.rooms else r for r in response.rooms}

    def follow(self, rooms: list[str]) -> None:
        """Follow these rooms (this run and later ones); each must be a room the user is in now."""
        joined = self.joined_rooms()
        for room in rooms:
            if room not in joined:
                raise LiveError(f"you are not in {room} (left, or never joined): join it again or leave it out")
        self.settings["follow"] = list(rooms)
        write_json(self.rooms_path, self.settings)

    def allow_send(self, room: str) -> None:
        """The person's standing yes to sending accepted replies to `room`; each send is still confirmed."""
        self.settings["send"] = sorted({*self.settings["send"], room})
        write_json(self.rooms_path, self.settings)

    # ---- reading -------------------------------------------------------------------------------

    def poll(self, cursor: Any, wait_s: float = 0.0) -> Batch:
        followed = self.settings["follow"]
        if not followed:
            raise LiveError("no rooms chosen: pass --room ROOM_ID (run without it to list your rooms)")
        since = (cursor or {}).get("since")
        response = self._sync(since, wait_s, full_state=not self.synced_state)
        self.synced_state = True
        backfill_rooms = [r for r in followed if r not in (cursor or {}).get("rooms", [])]
        events: list[Event] = []
        notes: list[str] = []
        left = [r for r in followed if r in response.rooms.leave]
        for room_id in left:
            notes.append(f"you left {self._name(room_id)} ({room_id}): it is followed no more")
        for room_id in followed:
            room = self.client.rooms.get(room_id)
            if room is None or room_id in left:
                continue
            room_events = self._news(room_id, response, backfill=room_id in backfill_rooms)
            messages = [m for m in (message(room, e) for e in room_events) if m is not None]
            if any(isinstance(e, ENCRYPTED_EVENTS) for e in room_events) or room.encrypted:
                notes.append(f"{room.display_name} ({room_id}) is end-to-end encrypted and predraft cannot decrypt "
                             "it: read it from an export of your client (`predraft ingest`), "
                             "or follow an unencrypted room")
            if messages:
                events += [room_thread(room), *messages]
        if left:
            self.settings["follow"] = [r for r in followed if r not in left]
            write_json(self.rooms_path, self.settings)
        me = self.client.rooms[followed[0]].user_name(self.user_id) if followed[0] in self.client.rooms else None
        return Batch(events, {"since": response.next_batch, "rooms": followed}, backfill=cursor is None,
                     notes=notes, me=me)

    def _news(self, room_id: str, response: SyncResponse, *, backfill: bool) -> list[object]:
        """A room's events in this sync. A room followed for the first time gets its history instead, read
        back from the sync's own token (the spec lets /messages start there), so nothing falls between."""
        if backfill:
            return self._history(room_id, response.next_batch)
        joined = response.rooms.join.get(room_id)
        if joined is None:
            return []
        timeline = joined.timeline
        # More happened than one sync carries: the gap is read back too (what was stored before dedupes).
        older = self._history(room_id, timeline.prev_batch) if timeline.limited else []
        return older + list(timeline.events)

    def _sync(self, since: str | None, wait_s: float, full_state: bool) -> SyncResponse:
        room_filter = {"rooms": self.settings["follow"], "timeline": {"limit": TIMELINE_LIMIT}}
        sync_filter = {"room": room_filter, "presence": NOTHING_ELSE, "account_data": NOTHING_ELSE}
        response = self._checked(self._run(self.client.sync(
            timeout=int(wait_s * 1000), sync_filter=sync_filter, since=since, full_state=full_state)))
        assert isinstance(response, SyncResponse)
        return response

    def _sync_state(self) -> None:
        """Every joined room's names and members, for listing them; the next poll then syncs incrementally."""
        if not self.synced_state:
            self._checked(self._run(self.client.sync(timeout=0, full_state=True, sync_filter={
                "room": {"timeline": {"limit": 1}}, "presence": NOTHING_ELSE, "account_data": NOTHING_ELSE})))
            self.synced_state = True

    def _history(self, room_id: str, start: str | None) -> list[object]:
        """Up to `backfill` events before the sync's timeline, oldest first."""
        older: list[object] = []
        while start and len(older) < self.backfill:
            page = self._checked(self._run(self.client.room_messages(room_id, start=start, limit=BACKFILL_PAGE)))
            assert isinstance(page, RoomMessagesResponse)
            older += page.chunk
            start = page.end if page.chunk else None
        return older[: self.backfill][::-1]

    def _checked(self, response: object) -> object:
        if isinstance(response, ErrorResponse):
            if response.status_code == "M_UNKNOWN_TOKEN":
                self.session_path.unlink(missing_ok=True)
                raise LiveError(f"{self.homeserver} no longer accepts predraft's login of {self.user_id} "
                                "(logged out elsewhere?): run the command again to log in")
            raise LiveError(f"{self.homeserver}: {response.status_code or 'error'} {response.message}")
        return response

    def _name(self, room_id: str) -> str:
        room: MatrixRoom | None = self.client.rooms.get(room_id)
        return room.display_name if room else room_id

    # ---- sending -------------------------------------------------------------------------------

    def question(self, thread: Thread) -> str:
        return f"Send to {thread.title} as {self.user_id}?"

    def refusal(self, thread: Thread) -> str | None:
        if thread.key in self.settings["send"]:
            return None
        return (f"sending to {thread.title} is not allowed: allow it once with "
                f"`predraft live matrix --allow-send {thread.key}`; nothing was sent")

    def deliver(self, corpus: Corpus, thread: Thread, text: str) -> str:
        """Send `text` to the thread's room: only where sending is allowed, and only after a yes."""
        room_id = thread.key
        if (refused := self.refusal(thread)) is not None:
            raise LiveError(refused)
        if not self.confirm(thread.title, text):
            raise LiveError(f"not sent to {thread.title}: you did not confirm")
        response = self._run(self.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text}))
        if not isinstance(response, RoomSendResponse):
            if response.status_code == "M_FORBIDDEN":
                raise LiveError(f"you are no longer in {thread.title} ({room_id}), so nothing was sent")
            raise LiveError(f"{self.homeserver} did not take the message for {thread.title}: {response.message}")
        return f"sent to {thread.title}"
