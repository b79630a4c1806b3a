"""What WhatsApp writes instead of a message: media placeholders, deletions, edits, polls, system lines.

The line's structure decides first, the wording second. iOS marks every placeholder, attachment and event
with U+200E (events read as sentences, placeholders as short phrases); Android writes `<...>` placeholders
and `NAME.ext (file attached)`; system lines have no `Name:`. An attachment's file name
(`<attached: 00000012-PHOTO-....jpg>`) or a map link names its kind in any language. The wording names the
rest, from whatsapp_strings.toml: WhatsApp's own strings in every language its apps ship. `classify` turns
a message's full text into its kind; it is only called for texts that `needs_classifying` flags, so
ordinary messages never pay for these lookups.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from assistant.corpus.models import Kind
from assistant.ingest.base import MARKS

STRINGS = tomllib.loads(Path(__file__).with_name("whatsapp_strings.toml").read_text("utf-8"))
LANGUAGES: dict[str, str] = STRINGS["languages"]
_VARIANTS = STRINGS["variants"]
# The kind of media each iOS placeholder stands for, as the corpus names it.
IOS_MEDIA = {"image": "image", "video": "video", "audio": "audio", "sticker": "sticker", "gif": "gif",
             "contact": "contact", "document": "file"}


def _phrases(table: dict[str, str], *variants: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*table.values(), *variants]))


_ANDROID_OMITTED = tuple(f"<{p}>" for p in _phrases(STRINGS["android_media_omitted"], *_VARIANTS["media_omitted"]))
_DELETED = _phrases(STRINGS["deleted"], *STRINGS["you_deleted"].values(), *_VARIANTS["deleted"])
_EDITED = _phrases(STRINGS["edited"], *_VARIANTS["edited"])
_CALLS = _phrases(STRINGS["missed_calls"]["voice"], *STRINGS["missed_calls"]["video"].values())
_DOCUMENT_OMITTED = tuple(STRINGS["ios_omitted"]["document"].values())

_SPACE_AND_MARKS = " " + MARKS  # what separates an edited text from its `_EDITED` suffix

# "<attached: 00000012-PHOTO-2021-10-14-15-34-09.jpg>" (iOS, the word in any language) and
# "IMG-20211014-WA0003.jpg (file attached)" (Android, the words from the table).
_ATTACHED_IOS = re.compile(r"<[^<>:\n]{2,40}\s?: ([^<>\n]+\.\w{2,5})>")
_ATTACHED_WORDS = _phrases(STRINGS["android_attached"])
_ATTACHED_ANDROID = re.compile(r"(\S.*?) \((?:" + "|".join(map(re.escape, _ATTACHED_WORDS)) + r")\)")
# Android's "location: https://maps.google.com/?q=..." (the word in any language) and older iOS ones.
_LOCATION = re.compile(r"\S[^:\n]{0,30}: (https://maps\.google\.com/\?q=\S+)"
                       r"|(?:[Ll]ocation|[Uu]bicación|Standort|[Ll]ocalização|[Pp]osition)\s?: (\S+)")
_POLL = re.compile(r"(?:POLL|ENCUESTA|UMFRAGE|ENQUETE|SONDAGE)\s?:")
# Vote counts are left out of the stored text: they change between two exports of the same poll.
_POLL_OPTION = re.compile(r"(?:OPTION|OPCIÓN|OPÇÃO)\s?: (.*?)(?: \(\d+ [^)]*\))?")
# An Android text that is all one `<...>`: a placeholder in a wording the table lacks, or a user's `<sigh>`.
LOOKS_LIKE_PLACEHOLDER = re.compile(r"<[^<>\n]{2,60}>")

# Media type from the file name WhatsApp gave the attachment: a tag in the name, else the extension.
_NAME_TAGS = (("PHOTO", "image"), ("IMG", "image"), ("VIDEO", "video"), ("VID", "video"), ("PTT", "audio"),
              ("AUDIO", "audio"), ("AUD", "audio"), ("STICKER", "sticker"), ("STK", "sticker"), ("GIF", "gif"))
_EXTENSIONS = {
    "jpg": "image", "jpeg": "image", "png": "image", "heic": "image", "webp": "sticker",
    "mp4": "video", "mov": "video", "3gp": "video", "opus": "audio", "m4a": "audio", "aac": "audio",
    "mp3": "audio", "ogg": "audio", "vcf": "contact", "gif": "gif",
}

# Phrases of system lines. Android writes them without "Name:"; these catch the ones whose text holds
# a colon (a new subject "Trip: Lisbon") and iOS ones, which carry the chat name as their sender.
_GROUP_EVENTS = (
    r"created group|changed the subject|changed the group|changed this group's|deleted this group's"
    r"| added | removed |joined using|^\S.* left$|^You left$|was added|were added"
    r"|creó el grupo|cambió el asunto|cambió el nombre|cambió la descripción|cambió el ícono| añadió | eliminó a"
    r"|se unió|salió del grupo|^\S.* salió$"
    r"|hat die Gruppe|hat den Betreff|hat das Gruppenbild| hinzugefügt|hat .* entfernt|ist beigetreten"
    r"|hat die Gruppe verlassen|^\S.* ist ausgetreten$"
    r"|criou o grupo|mudou o assunto|mudou o nome|mudou a descrição|mudou a imagem| adicionou | removeu "
    r"|entrou usando|^\S.* saiu$"
    r"|a créé le groupe|a modifié le sujet|a changé le sujet|a changé le nom|a modifié la description"
    r"|a changé l'icône| a ajouté | a retiré |a rejoint|est parti$|est partie$"
)
_OTHER_EVENTS = (
    r"end-to-end|extremo a extremo|Ende-zu-Ende|ponta a ponta|bout en bout"
    r"|security code|código de seguridad|Sicherheitscode|código de segurança|code de sécurité"
    r"|changed their phone number|changed to \+|cambió su número|hat die Telefonnummer|mudou seu número"
    r"|a changé de numéro|Missed voice call|Missed video call|Llamada perdida|Videollamada perdida"
    r"|Verpasster|Chamada de voz perdida|Appel vocal manqué|disappearing messages|mensajes temporales"
    r"|selbstlöschende|mensagens temporárias|messages éphémères|is a contact|business account"
)
GROUP_EVENT = re.compile(_GROUP_EVENTS)
SYSTEM_EVENT = re.compile(f"{_GROUP_EVENTS}|{_OTHER_EVENTS}")
# iOS marks its notices as it marks its placeholders. A notice is a sentence or several ("‎Messages and calls
# are end-to-end encrypted. No one..."; Thai writes no full stop, but at length); a placeholder is a short
# phrase ("‎sticker omitted"), even with a document's name before it ("‎Report.pdf • 3 pages ‎document omitted").
_SENTENCE_END = re.compile(r"[.!?。！？।۔](?:\s|$)")
_LONGEST_PLACEHOLDER = 60


# Enum members read as module globals: `Kind.MEDIA` is several times slower to look up in Python 3.11,
# and these are read for every special message.
TEXT, MEDIA, SYSTEM = Kind.TEXT, Kind.MEDIA, Kind.SYSTEM
Classified = tuple[str, Kind, str | None, bool, bool]  # text, kind, media, edited, unsent


def _table() -> dict[str, tuple[Kind, str | None, bool]]:
    """Exact placeholder text -> (kind, media, unsent), with and without a final full stop."""
    table: dict[str, tuple[Kind, str | None, bool]] = {}
    for name, phrases in STRINGS["ios_omitted"].items():
        for phrase in (*phrases.values(), *_VARIANTS["ios_omitted"].get(name, ())):
            table[phrase] = (MEDIA, IOS_MEDIA[name], False)
    for phrase in _ANDROID_OMITTED:
        table[phrase] = (MEDIA, "media", False)
    for phrase in _VARIANTS["live_location"]:
        table[phrase] = (MEDIA, "location", False)
    for phrase in _DELETED:
        table[phrase] = (TEXT, None, True)
    return table | {f"{text}.": value for text, value in table.items() if not text.endswith((".", "。", ">"))}


_PHRASES = _table()
# Android's `null` for a view-once photo counts only as written: "Null" or "null." is someone typing.
_AS_WRITTEN = {text: (MEDIA, "media", False) for text in _VARIANTS["null_media"]}
# What a known sender's one-line text can be replaced by as it is (the reader's fast path).
PLACEHOLDERS = _PHRASES | _AS_WRITTEN


def _folded(text: str) -> str:
    """`text` as `_FOLDED` keys it; two `str.replace` cost less than one `str.translate` on a short text."""
    return text.casefold().replace("\u00a0", " ").replace("\u202f", " ")


# The same, found whatever the case and the spaces: apps and app versions capitalise some phrases
# differently, and some write a no-break space inside them ("<Media\u00a0omitted>").
_FOLDED = {_folded(text): value for text, value in _PHRASES.items()}
_CALL_LINES = frozenset(_CALLS) | {f"{call}." for call in _CALLS}
_EXACT = frozenset(PLACEHOLDERS) | _CALL_LINES
# Cheap gates checked on every message before any regex: what a special text can start or end with.
# Multi-line texts are always classified (a caption may follow an attachment line, a poll its question).
_LOCATION_WORDS = (*_VARIANTS["location"], "position")
_STARTS = (*MARKS, "<", *_LOCATION_WORDS, *(word[0].upper() + word[1:] for word in _LOCATION_WORDS),
           "POLL", "ENCUESTA", "UMFRAGE", "ENQUETE", "SONDAGE")
_ENDS = (">", *(f"{words})" for words in _ATTACHED_WORDS))
_LAST_CHARS = frozenset(end[-1] for end in _ENDS)


def _by_first_char(starts: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, tuple[str, ...]] = {}
    for start in starts:
        grouped[start[0]] = (*grouped.get(start[0], ()), start)
    return grouped


# Plain texts often begin with a letter that some start shares ("lol", "later"): testing only the starts
# with that letter is cheaper than testing them all.
_STARTS_BY_FIRST_CHAR = _by_first_char(_STARTS)


def needs_classifying(text: str) -> bool:
    """False for the plain one-line messages that make up nearly all of a chat."""
    return "\n" in text or line_needs_classifying(text)


def line_needs_classifying(text: str) -> bool:
    """`needs_classifying` for a text known to be one line: called on nearly every message, so it must be cheap."""
    if not text:
        return False
    starts = _STARTS_BY_FIRST_CHAR.get(text[0])
    return (
        text in _EXACT
        or (starts is not None and text.startswith(starts))
        or (text[-1] in _LAST_CHARS and text.endswith(_ENDS))
    )


def media_of_file(name: str) -> str:
    upper = name.upper()
    for tag, media in _NAME_TAGS:
        if tag in upper:
            return media
    return _EXTENSIONS.get(name.rpartition(".")[2].lower(), "file")


def _reads_as_notice(line: str) -> bool:
    """Whether an iOS-marked line in no table's wording is an event (a sentence) rather than a placeholder."""
    return len(line) > _LONGEST_PLACEHOLDER or bool(_SENTENCE_END.search(line) or SYSTEM_EVENT.search(line))


def classify(text: str) -> Classified:
    """The kind of a message from its full text.

    An iOS-marked text in no known wording is a system line if it reads as a notice, else a placeholder
    whose wording is unknown: media of no known type (`media` None), the caller decides whose and says so.
    """
    edited = text.endswith(_EDITED)
    if edited:  # each suffix is one "<...>", so the last "<" starts it
        text = text[: text.rfind("<")].rstrip(_SPACE_AND_MARKS)
    ios_mark = text[:1] in MARKS  # iOS marks its placeholders and its system lines alike
    first, _, rest = text.partition("\n")
    first = first.strip(MARKS)
    if (placeholder := PLACEHOLDERS.get(first) or _FOLDED.get(_folded(first))) is not None:
        kind, media, unsent = placeholder
        return ("" if unsent else rest), kind, media, edited, unsent
    if first in _CALL_LINES:
        return first, SYSTEM, None, edited, False
    # Each regex only runs past a `str` check that most texts fail.
    if first.endswith(_ENDS) and (attached := _ATTACHED_IOS.search(first) or _ATTACHED_ANDROID.fullmatch(first)):
        return rest, MEDIA, media_of_file(attached.group(1)), edited, False
    if ios_mark and first.endswith(_DOCUMENT_OMITTED):  # "‎Report.pdf • 3 pages ‎document omitted"
        return rest, MEDIA, "file", edited, False
    if first.startswith(_STARTS_BY_FIRST_CHAR.get(first[:1], ())):
        if location := _LOCATION.fullmatch(first):
            return location.group(1) or location.group(2), MEDIA, "location", edited, False
        if _POLL.fullmatch(first):
            return _poll_text(rest), MEDIA, "poll", edited, False
    if ios_mark:
        if _reads_as_notice(first):
            return text.strip(MARKS), SYSTEM, None, edited, False
        return rest, MEDIA, None, edited, False
    return text, TEXT, None, edited, False


def _poll_text(body: str) -> str:
    """The question, then one option per line without its vote count."""
    lines = []
    for line in body.split("\n"):
        line = line.strip(MARKS)
        option = _POLL_OPTION.fullmatch(line)
        lines.append(option.group(1) if option else line)
    return "\n".join(lines)
