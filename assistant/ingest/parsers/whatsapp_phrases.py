"""What WhatsApp writes instead of a message: media placeholders, deletions, edits, polls, system lines.

Each table lists the wording of the English, Spanish, German, Portuguese and French apps (Android and
iOS spell several of them differently). Adding a language means adding its phrases here, nothing else.
`classify` turns a message's full text into its kind; it is only called for texts that `needs_classifying`
flags, so ordinary messages never pay for these lookups.
"""

from __future__ import annotations

import re

from assistant.corpus.models import Kind

# Invisible direction marks and embeddings WhatsApp wraps around placeholders, names and phone numbers.
MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"

# Exact texts (after trimming marks) that stand for a media item the export left out.
_OMITTED: dict[str, tuple[str, ...]] = {
    "media": ("<Media omitted>", "<Multimedia omitido>", "<Medien ausgelassen>", "<Medien weggelassen>",
              "<Mídia oculta>", "<Arquivo de mídia oculto>", "<Médias omis>"),
    "image": ("image omitted", "imagen omitida", "Bild weggelassen", "imagem ocultada", "image absente"),
    "video": ("video omitted", "video omitido", "Video weggelassen", "vídeo omitido", "vidéo absente"),
    "audio": ("audio omitted", "audio omitido", "Audio weggelassen", "áudio ocultado", "audio omis"),
    "sticker": ("sticker omitted", "sticker omitido", "Sticker weggelassen", "figurinha omitida", "sticker omis"),
    "gif": ("GIF omitted", "GIF omitido", "GIF weggelassen", "GIF retiré"),
    "file": ("document omitted", "documento omitido", "Dokument weggelassen", "document omis"),
    "contact": ("Contact card omitted", "tarjeta de contacto omitida", "Kontaktkarte ausgelassen",
                "cartão de contato omitido", "fiche contact omise"),
    "location": ("live location shared", "Ubicación en tiempo real compartida", "Live-Standort geteilt",
                 "Localização em tempo real compartilhada", "Position en direct partagée"),
}

_DELETED = (
    "This message was deleted", "You deleted this message",
    "Se eliminó este mensaje", "Eliminaste este mensaje",
    "Diese Nachricht wurde gelöscht", "Du hast diese Nachricht gelöscht",
    "Mensagem apagada", "Esta mensagem foi apagada", "Você apagou esta mensagem",
    "Ce message a été supprimé", "Vous avez supprimé ce message",
)

_EDITED = (
    "<This message was edited>", "<Se editó este mensaje.>", "<Diese Nachricht wurde bearbeitet.>",
    "<Diese Nachricht wurde bearbeitet>", "<Mensagem editada>", "<Ce message a été modifié>",
)

_SPACE_AND_MARKS = " " + MARKS  # what separates an edited text from its `_EDITED` suffix

# "<attached: 00000012-PHOTO-2021-10-14-15-34-09.jpg>" (iOS) and "IMG-20211014-WA0003.jpg (file attached)" (Android).
_ATTACHED_IOS = re.compile(r"<(?:attached|adjunto|Anhang|anexado|pièce jointe)\s?: ([^>]+)>")
_ATTACHED_ANDROID = re.compile(
    r"(\S.*?) \((?:file attached|archivo adjunto|Datei angehängt|arquivo anexado|fichier joint)\)"
)
_LOCATION = re.compile(r"(?:[Ll]ocation|[Uu]bicación|Standort|[Ll]ocalização|[Pp]osition)\s?: (\S+)")
_POLL = re.compile(r"(?:POLL|ENCUESTA|UMFRAGE|ENQUETE|SONDAGE)\s?:")
# Vote counts are left out of the stored text: they change between two exports of the same poll.
_POLL_OPTION = re.compile(r"(?:OPTION|OPCIÓN|OPÇÃO)\s?: (.*?)(?: \(\d+ [^)]*\))?")

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


# Enum members read as module globals: `Kind.MEDIA` is several times slower to look up in Python 3.11,
# and these are read for every special message.
TEXT, MEDIA, SYSTEM = Kind.TEXT, Kind.MEDIA, Kind.SYSTEM
Classified = tuple[str, Kind, str | None, bool, bool]  # text, kind, media, edited, unsent


def _table() -> dict[str, tuple[Kind, str | None, bool]]:
    """Exact placeholder text -> (kind, media, unsent), with and without a final full stop."""
    table: dict[str, tuple[Kind, str | None, bool]] = {}
    for media, phrases in _OMITTED.items():
        for phrase in phrases:
            table[phrase] = (MEDIA, media, False)
    for phrase in _DELETED:
        table[phrase] = (TEXT, None, True)
    return table | {f"{text}.": value for text, value in table.items() if not text.endswith((".", ">"))}


PLACEHOLDERS = _table()
# Cheap gates checked on every message before any regex: what a special text can start or end with.
# Multi-line texts are always classified (a caption may follow an attachment line, a poll its question).
_STARTS = (*MARKS, "<", "location", "Location", "ubicación", "Ubicación", "Standort", "localização",
           "Localização", "position", "Position", "POLL", "ENCUESTA", "UMFRAGE", "ENQUETE", "SONDAGE")
_ENDS = (">", "attached)", "adjunto)", "angehängt)", "anexado)", "joint)")
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
        text in PLACEHOLDERS
        or (starts is not None and text.startswith(starts))
        or (text[-1] in _LAST_CHARS and text.endswith(_ENDS))
    )


def media_of_file(name: str) -> str:
    upper = name.upper()
    for tag, media in _NAME_TAGS:
        if tag in upper:
            return media
    return _EXTENSIONS.get(name.rpartition(".")[2].lower(), "file")


def classify(text: str) -> Classified:
    """The kind of a message from its full text; an iOS line starting with a direction mark is a system line."""
    edited = text.endswith(_EDITED)
    if edited:  # each suffix is one "<...>", so the last "<" starts it
        text = text[: text.rfind("<")].rstrip(_SPACE_AND_MARKS)
    ios_mark = text[:1] in MARKS  # iOS marks its placeholders and its system lines alike
    first, _, rest = text.partition("\n")
    first = first.strip(MARKS)
    if (placeholder := PLACEHOLDERS.get(first)) is not None:
        kind, media, unsent = placeholder
        return ("" if unsent else rest), kind, media, edited, unsent
    # Each regex only runs past a `str` check that most texts fail.
    if first.endswith(_ENDS) and (attached := _ATTACHED_IOS.fullmatch(first) or _ATTACHED_ANDROID.fullmatch(first)):
        return rest, MEDIA, media_of_file(attached.group(1)), edited, False
    if first.startswith(_STARTS_BY_FIRST_CHAR.get(first[:1], ())):
        if location := _LOCATION.fullmatch(first):
            return location.group(1), MEDIA, "location", edited, False
        if _POLL.fullmatch(first):
            return _poll_text(rest), MEDIA, "poll", edited, False
    if ios_mark:
        return text.strip(MARKS), SYSTEM, None, edited, False
    return text, TEXT, None, edited, False


def _poll_text(body: str) -> str:
    """The question, then one option per line without its vote count."""
    lines = []
    for line in body.split("\n"):
        line = line.strip(MARKS)
        option = _POLL_OPTION.fullmatch(line)
        lines.append(option.group(1) if option else line)
    return "\n".join(lines)
