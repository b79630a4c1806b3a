"""Slack workspace export: a folder (the runner unpacks the zip) of users.json, channels.json,
groups.json / dms.json / mpims.json, and one folder per conversation of daily YYYY-MM-DD.json files.

Text comes from the rich-text `blocks` when a message has them (what the author typed, mentions as
ids), else from the mrkdwn `text`. Either way mentions become "@Real Name" and "#channel".

A message's `reactions` ([{"name": "+1", "users": [ids], "count": n}]) become one Kind.REACTION message
per person and emoji, pointing at the message. The export does not say when anyone reacted, so each
reaction takes the time of its message; `count` may exceed the users listed, and only those can be named.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.corpus.models import Event, Kind, ParsedMessage, ParsedThread, ParseWarning
from assistant.ingest.base import ParseError, Parser
from assistant.ingest.jsonstream import json_items
from assistant.ingest.media import media_from_mime
from assistant.ingest.registry import register

# metadata file -> is the conversation a group (more than two people)?
CONVERSATION_FILES = {"channels.json": True, "groups.json": True, "mpims.json": True, "dms.json": False}
DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
SYSTEM_SUBTYPES = {
    "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name", "channel_archive",
    "channel_unarchive", "group_join", "group_leave", "group_topic", "group_purpose", "group_name",
    "pinned_item", "unpinned_item",
}
MRKDWN_REF = re.compile(r"<([@#!])?([^<>|]*)(?:\|([^<>]*))?>")
SKIN_TONES = {f"skin-tone-{n}": chr(0x1F3FB + n - 2) for n in range(2, 7)}  # "+1::skin-tone-3" -> 👍🏼
VARIATION_SELECTOR = "\ufe0f"  # "❤️" = ❤ + VS16; a skin tone modifier replaces it
REACTIONS_SHAPE = 'a list of {"name": short name, "users": [user ids]}'


@dataclass(frozen=True)
class Workspace:
    """What mentions resolve against: user id -> name, channel id -> name."""

    users: dict[str, str]
    channels: dict[str, str]

    def user(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)


def slack_time(ts: str) -> datetime:
    """'1634567890.000200' -> aware UTC datetime, exact to the microsecond (no float rounding)."""
    seconds, _, fraction = ts.partition(".")
    return datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=int(fraction[:6].ljust(6, "0")))


def user_name(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    for name in (profile.get("real_name"), user.get("real_name"), profile.get("display_name"), user.get("name")):
        if name:
            return str(name)
    return str(user.get("id", "unknown"))


def emoji_of(name: str) -> str:
    """A Slack short name ("tada", "+1::skin-tone-3") as its emoji; a workspace's custom one stays ":name:"."""
    import emoji  # here, not at the top: its 70 ms import is not for every other format's ingest

    base, _, tone = name.partition("::")
    shortcode = f":{base}:"
    char = emoji.emojize(shortcode, language="alias")  # Slack's names are the GitHub/gemoji aliases
    if char == shortcode or ":" in base:  # unknown, or not one name at all
        return f":{name}:"
    return char.removesuffix(VARIATION_SELECTOR) + SKIN_TONES[tone] if tone in SKIN_TONES else char


def reactions_to(message: ParsedMessage, reactions: object, ws: Workspace) -> list[ParsedMessage]:
    """The message's `reactions` as Kind.REACTION messages; ValueError when they are not REACTIONS_SHAPE."""
    if not isinstance(reactions, list):
        raise ValueError(f"expected {REACTIONS_SHAPE}, found {reactions!r:.60}")
    parsed = []
    for reaction in reactions:
        name, users = (reaction.get("name"), reaction.get("users")) if isinstance(reaction, dict) else (None, None)
        if not isinstance(name, str) or not isinstance(users, list) or not all(isinstance(u, str) for u in users):
            raise ValueError(f"expected {REACTIONS_SHAPE}, found {reaction!r:.60}")
        parsed += [ParsedMessage(thread_key=message.thread_key, sender=ws.user(user), timestamp=message.timestamp,
                                 text=emoji_of(name), kind=Kind.REACTION, reply_to=message.message_id)
                   for user in users]
    return parsed


def render_mrkdwn(text: str, ws: Workspace) -> str:
    """Slack's escaped mrkdwn: <@U1>, <#C1|general>, <https://x|label>, <!here>, &amp; -> plain text."""

    def ref(m: re.Match) -> str:
        sigil, target, label = m.group(1), m.group(2), m.group(3)
        if sigil == "@":
            return "@" + (label or ws.user(target))
        if sigil == "#":
            return "#" + (label or ws.channels.get(target, target))
        if sigil == "!":  # <!here>, <!channel>, <!subteam^S1|@team>, <!date^...|fallback>
            return label or "@" + target.split("^")[0]
        return label or target

    return html.unescape(MRKDWN_REF.sub(ref, text))


def render_blocks(blocks: list[Any], ws: Workspace) -> str | None:
    """Plain text of the rich_text blocks, or None when there are none."""
    parts = [_render_element(b, ws) for b in blocks if isinstance(b, dict) and b.get("type") == "rich_text"]
    return "\n".join(parts) if parts else None


def _render_element(el: dict[str, Any], ws: Workspace) -> str:
    kind = el.get("type")
    children = [c for c in el.get("elements") or [] if isinstance(c, dict)]
    if kind == "rich_text_list":
        style = el.get("style")
        items = [_render_element(c, ws) for c in children]
        return "\n".join(f"{i}. {t}" if style == "ordered" else f"- {t}" for i, t in enumerate(items, 1))
    if kind == "rich_text":  # blocks stack vertically; a section that ends in a newline needs no extra break
        text = ""
        for part in (_render_element(c, ws) for c in children):
            text += part if not text or text.endswith("\n") else "\n" + part
        return text
    if kind in ("rich_text_section", "rich_text_quote", "rich_text_preformatted"):
        text = "".join(_render_element(c, ws) for c in children)
        if kind == "rich_text_quote":
            return "\n".join("> " + line for line in text.split("\n"))
        return f"```{text}```" if kind == "rich_text_preformatted" else text
    if kind == "text":
        return str(el.get("text", ""))
    if kind == "user":
        return "@" + ws.user(str(el.get("user_id", "")))
    if kind == "channel":
        channel_id = str(el.get("channel_id", ""))
        return "#" + ws.channels.get(channel_id, channel_id)
    if kind == "link":
        return str(el.get("text") or el.get("url", ""))
    if kind == "emoji":
        code = el.get("unicode")
        try:
            return "".join(chr(int(cp, 16)) for cp in code.split("-")) if code else emoji_of(str(el.get("name")))
        except ValueError:
            return emoji_of(str(el.get("name")))
    if kind == "broadcast":
        return "@" + str(el.get("range", "here"))
    if kind == "usergroup":
        return "@" + str(el.get("usergroup_id", ""))
    return ""


def json_objects(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of a file holding one JSON list, streamed; a missing file has none."""
    if not path.is_file():
        return
    count = 0
    for prefix, event, value in json_items(path, {"item"}, lambda: f"after item {count}"):
        if prefix == "" and event not in ("start_array", "end_array"):
            found = str(value if value is not None else event)
            raise ParseError(path, "a JSON list of objects", location="start", found=found)
        if event == "item":
            count += 1
            if isinstance(value, dict):
                yield value


@register
class SlackParser(Parser):
    name = "slack"
    platform = "slack"
    description = "Slack workspace export (the zip or its unpacked folder)"

    def detect(self, path: Path) -> float:
        try:
            if not path.is_dir() or not (path / "users.json").is_file():
                return 0.0
            if (path / "channels.json").is_file():
                return 0.95
            return 0.9 if any((path / name).is_file() for name in CONVERSATION_FILES) else 0.0
        except OSError:
            return 0.0

    def parse(self, path: Path) -> Iterator[Event]:
        if not path.is_dir():
            raise ParseError(path, "an unpacked Slack export folder with users.json and channels.json")
        users = {u["id"]: user_name(u) for u in json_objects(path / "users.json") if isinstance(u.get("id"), str)}
        conversations = [(c, is_group, meta) for meta, is_group in CONVERSATION_FILES.items()
                         for c in json_objects(path / meta) if isinstance(c.get("id"), str)]
        ws = Workspace(users, {c["id"]: c.get("name") or c["id"] for c, _, _ in conversations})
        for conversation, is_group, meta in conversations:
            # channels are filed under their name, DMs under their id; a name is never a path
            folder = next((path / n for n in (str(conversation.get("name") or ""), conversation["id"])
                           if n and Path(n).name == n and (path / n).is_dir()), None)
            members = tuple(ws.user(m) for m in conversation.get("members") or [] if isinstance(m, str))
            # DMs and group DMs ("mpdm-a--b--c-1") read better as their members' names
            title = conversation.get("name") if meta in ("channels.json", "groups.json") else None
            thread = ParsedThread(key=conversation["id"], platform="slack",
                                  title=title or ", ".join(members) or conversation["id"],
                                  participants=members, is_group=is_group or len(members) > 2)
            if folder is not None:
                yield thread
                for day in sorted(p for p in folder.iterdir() if DAY_FILE.match(p.name)):
                    yield from self._day(day, thread.key, ws)

    def _day(self, day: Path, thread_key: str, ws: Workspace) -> Iterator[Event]:
        for index, raw in enumerate(json_objects(day)):
            where = f"{day.parent.name}/{day.name} message {raw.get('ts', index)}"
            try:
                message = self._message(raw, thread_key, ws)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
                yield ParseWarning(where, f"skipped: not a Slack message ({type(exc).__name__}: {exc})")
                continue
            yield message
            try:
                yield from reactions_to(message, raw.get("reactions") or [], ws)
            except ValueError as exc:  # the message stands; only its reactions are lost
                yield ParseWarning(where, f"reactions skipped: {exc}")

    @staticmethod
    def _message(raw: dict[str, Any], thread_key: str, ws: Workspace) -> ParsedMessage:
        ts = str(raw["ts"])
        subtype = raw.get("subtype")
        blocks = raw.get("blocks")
        rich = render_blocks(blocks, ws) if isinstance(blocks, list) else None
        text = rich or render_mrkdwn(str(raw.get("text") or ""), ws)
        thread_ts = raw.get("thread_ts")
        common = dict(thread_key=thread_key, timestamp=slack_time(ts), message_id=ts,
                      reply_to=str(thread_ts) if thread_ts and thread_ts != ts else None)
        if subtype in SYSTEM_SUBTYPES:
            return ParsedMessage(sender=None, text=text, kind=Kind.SYSTEM, **common)
        if subtype == "bot_message" or (raw.get("bot_id") and not raw.get("user")):
            sender = raw.get("username") or (raw.get("bot_profile") or {}).get("name") or raw.get("bot_id")
        else:
            sender = ws.users.get(raw["user"]) or user_name(raw.get("user_profile") or {"id": raw["user"]})
        files = raw.get("files")
        return ParsedMessage(
            sender=str(sender),
            text=text,
            kind=Kind.MEDIA if files else Kind.TEXT,
            media=media_from_mime(files[0].get("mimetype")) if files else None,
            edited=bool(raw.get("edited")),
            **common,
        )
