"""Matrix room events as corpus events: event ids are message ids, so edits and redactions find their message."""

from __future__ import annotations

from datetime import UTC, datetime

from nio import (MatrixRoom, MegolmEvent, RedactedEvent, RedactionEvent, RoomMessageEmote, RoomMessageMedia,
                 RoomMessageNotice, RoomMessageText, UnknownEncryptedEvent)

from assistant.corpus.models import Kind, ParsedMessage, ParsedThread

PLATFORM = "matrix"
MEDIA = {"m.image": "image", "m.video": "video", "m.audio": "audio", "m.file": "file"}
TEXT_EVENTS = (RoomMessageText, RoomMessageNotice, RoomMessageEmote)
ENCRYPTED_EVENTS = (MegolmEvent, UnknownEncryptedEvent)


def room_thread(room: MatrixRoom) -> ParsedThread:
    people = tuple(sorted(room.user_name(u) or u for u in room.users))
    return ParsedThread(key=room.room_id, platform=PLATFORM, title=room.display_name, participants=people,
                        is_group=room.member_count > 2)


def message(room: MatrixRoom, event: object) -> ParsedMessage | None:
    """The corpus message an event adds or changes; None for events that are nobody's words (state, calls)."""
    sender = room.user_name(event.sender) or event.sender
    when = datetime.fromtimestamp(event.server_timestamp / 1000, UTC)
    base = {"thread_key": room.room_id, "sender": sender, "timestamp": when}
    if isinstance(event, RedactionEvent):  # a deletion: the redacted message becomes "unsent"
        return ParsedMessage(**base, text="", message_id=event.redacts, unsent=True)
    if isinstance(event, RedactedEvent):  # deleted before this sync saw it
        return ParsedMessage(**base, text="", message_id=event.event_id, unsent=True)
    if isinstance(event, RoomMessageMedia):
        return ParsedMessage(**base, text="", kind=Kind.MEDIA, media=MEDIA.get(event.source["content"].get("msgtype"),
                                                                               "file"), message_id=event.event_id)
    if not isinstance(event, TEXT_EVENTS):
        return None
    content = event.source.get("content", {})
    relation = content.get("m.relates_to") or {}
    if relation.get("rel_type") == "m.replace":  # an edit: the original's id, with the new text
        new = content.get("m.new_content") or {}
        return ParsedMessage(**base, text=new.get("body", event.body), message_id=relation.get("event_id"), edited=True)
    reply_to = (relation.get("m.in_reply_to") or {}).get("event_id")
    text = without_reply_fallback(event.body) if reply_to else event.body
    if isinstance(event, RoomMessageEmote):
        text = f"* {sender} {text}"
    return ParsedMessage(**base, text=text, message_id=event.event_id, reply_to=reply_to)


def without_reply_fallback(body: str) -> str:
    """Clients quote the message replied to as '> ' lines and a blank line first; the words are after it."""
    lines = body.split("\n")
    n = 0
    while n < len(lines) and lines[n].startswith(">"):
        n += 1
    return "\n".join(lines[n + 1 if n and n < len(lines) and not lines[n].strip() else n:])
