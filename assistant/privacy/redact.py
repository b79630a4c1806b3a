"""Find and mask PII in message text: emails, phones, cards, IBANs, secret URLs, street addresses, names.

Pure functions over one string; every pattern is compiled once at import. The common case (a chat
line with no digit, '@' or link) returns after a few character checks, because this runs on every
message that goes into a dataset or the retrieval index.

Each detector aims at precision as much as recall: a redacted date or price costs the model real
context, so numbers must also pass a check that only the real thing passes (Luhn for cards,
mod-97 for IBANs, phone-number metadata for phones) and must not look like a date, year, price,
IP address or order number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

import phonenumbers
from stdnum import iban, luhn

# Priority when spans overlap: the earlier label wins (a card number is never also a phone).
LABELS = ("URL", "EMAIL", "IBAN", "CARD", "PHONE", "ADDRESS", "NAME")
_RANK = {label: i for i, label in enumerate(LABELS)}

# Regions whose national formats (no +country prefix) are tried for phone numbers: the languages
# predraft's parsers and tests cover. International numbers (+.., 00..) work for every country.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str


# ---- emails and URLs ------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w])"
    # written out to dodge scrapers: "maya.chen (at) mail (dot) com", "maya at mail dot com"
    r"|(?<![\w.+-])[\w.+-]+\s*(?:[(\[]at[)\]]|\sat\s)\s*[\w-]+\s*(?:[(\[]dot[)\]]|\sdot\s)\s*"
    r"(?:com|org|net|de|es|fr|io|co\.uk|uk|eu)\b",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\"*"

_SECRET_PARAMS = {"key", "sig", "pwd", "pass", "sid", "otp", "code", "jwt", "hash", "rlkey", "psk"}
_SECRET_PARAM_PARTS = ("token", "secret", "passw", "signature", "session", "apikey", "api_key", "auth", "credential")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_SLUG_SEPARATOR = re.compile(r"[-_]")


def _looks_random(value: str, min_len: int) -> bool:
    """An opaque token (share id, reset token, UUID) rather than a word, slug, date or plain id."""
    if len(value) < min_len or not _TOKEN_CHARS.fullmatch(value):
        return False
    pieces = [p for p in _SLUG_SEPARATOR.split(value) if p]
    if all(p.isalpha() or (p.isdigit() and len(p) <= 8) for p in pieces):
        return False  # a slug like "best-climbing-gyms-2024"
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _url_has_secret(url: str) -> bool:
    try:
        parts = urlsplit(url if "://" in url else "https://" + url)
    except ValueError:
        return False
    if parts.password:
        return True
    for query in (parts.query, parts.fragment):
        for name, value in parse_qsl(query, keep_blank_values=True):
            name = name.lower()
            secret_name = (
                name in _SECRET_PARAMS
                or name.endswith(("_key", "-key"))
                or any(part in name for part in _SECRET_PARAM_PARTS)
            )
            if (secret_name and len(value) >= 4) or _looks_random(value, 16):
                return True
    # Capability links (shared docs, password resets) carry a long random path segment; 24 chars
    # keeps music and video ids (Spotify's are 22) readable.
    return any(_looks_random(segment, 24) for segment in parts.path.split("/"))


def _urls(text: str) -> Iterable[tuple[int, int, bool]]:
    """(start, end, carries a secret) for every link."""
    for m in _URL.finditer(text):
        url = m.group().rstrip(_URL_TRAILING)
        if url.endswith(")") and "(" not in url:
            url = url[:-1]
        yield m.start(), m.start() + len(url), _url_has_secret(url)


# ---- numbers: IBAN, card, phone --------------------------------------------------------------------

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d.,])(?<!\d[ -])\d(?:[ -]?\d){12,}")
_DIGIT_RUN = re.compile(r"\d+")
# Every number pattern needs a \d: a text without one skips them all. One regex search, because a
# Python-level scan of each character was most of the cost of redacting a typical chat line.
_ANY_DIGIT = re.compile(r"\d")
_CARD_PREFIXES = "23456"  # Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard, Discover/Maestro

_PHONE = re.compile(r"(?<![\w+@/.,#:-])(?:\+|00)?\(?\d[\d \u00a0().\/-]{5,22}\d(?![\w@])")
_NON_DIGIT = re.compile(r"\D")
_GROUP = re.compile(r"[^ \u00a0]+")
_DATE_LIKE = re.compile(
    r"(?<!\d)(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}|(?:19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2})(?!\d)"
)
_YEARS = re.compile(r"(?:(?:19|20)\d{2}[\s/-]*)+")
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:[.,']\d{3})+(?:[.,]\d{1,2})?")  # 1.234.567 or 12,500
_FRENCH_SHAPE = re.compile(r"0\d(?:[ .-]?\d{2}){4}")
_CARD_SHAPE = re.compile(r"\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?")  # failed Luhn: a card typo or an id
_US_SHAPE = re.compile(r"\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:eur|usd|gbp|chf|rs|r\$))\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"^\s*(?:[$€£¥%]|(?:eur|euros?|usd|dollars?|gbp|pounds?|chf|k|m)\b)", re.IGNORECASE)
# Words before a number that make it a phone, or make it anything but.
_PHONE_WORDS = re.compile(
    r"\b(?:call|phone|cell|mobile|tel|tél|text me|whatsapp|ring|reach me|fax|number|num|nr|no\.|handy|telefon\w*|"
    r"nummer|anruf\w*|ruf|erreichbar|móvil|movil|teléfono|telefono|llám\w*|llama\w*|número|numero|portable|numéro|"
    r"appelle\w*|joindre)\b",
    re.IGNORECASE,
)
_NOT_PHONE_WORDS = re.compile(
    r"(?:order|bestell|auftrag|rechnung|invoice|ref\b|reference|tracking|sendung|pedido|referencia|factura|commande|"
    r"facture|suivi|booking|buchung|reserv|confirmation|ticket|flight|flug|vuelo|isbn|serial|customer|kunden|cliente|"
    r"client|account|konto|cuenta|compte|pin\b|code|iban|postcode|plz|zip|\bid\b)[^\d]{0,25}$",
    re.IGNORECASE,
)


def _card_spans(text: str) -> Iterable[Span]:
    for m in _CARD.finditer(text):
        # Whole digit groups from the end, so "4111 1111 1111 1111 12 27" (card, then expiry) is found
        # and no card is read out of the middle of a group.
        for run in reversed(list(_DIGIT_RUN.finditer(m.group()))):
            digits = _NON_DIGIT.sub("", m.group()[:run.end()])
            if len(digits) < 13:
                break
            if len(digits) <= 19 and digits[0] in _CARD_PREFIXES and luhn.is_valid(digits):
                yield Span(m.start(), m.start() + run.end(), "CARD")
                break


def _iban_spans(text: str) -> Iterable[Span]:
    for m in _IBAN.finditer(text):
        candidate = m.group()
        # The pattern may run into a following all-caps word or number: shorten until mod-97 holds.
        while len(candidate.replace(" ", "")) >= 15:
            if iban.is_valid(candidate):
                yield Span(m.start(), m.start() + len(candidate), "IBAN")
                break
            candidate = candidate[:-1].rstrip()


def _is_phone(text: str, start: int, end: int) -> bool:
    candidate = text[start:end]
    digits = _NON_DIGIT.sub("", candidate)
    if not 7 <= len(digits) <= 15:
        return False
    if (
        (_DATE_LIKE.search(candidate) and not _FRENCH_SHAPE.fullmatch(candidate))
        or _YEARS.fullmatch(candidate)
        or _IP.fullmatch(candidate)
        or _GROUPED_NUMBER.fullmatch(candidate)
        or _CARD_SHAPE.fullmatch(candidate)
    ):
        return False
    before = text[max(0, start - 40):start]
    if _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.match(text[end:end + 10]) or _NOT_PHONE_WORDS.search(before):
        return False
    if candidate.startswith(("+", "00")):
        international = "+" + (candidate[1:] if candidate[0] == "+" else candidate[2:])
        try:
            return phonenumbers.is_possible_number(phonenumbers.parse(international))
        except phonenumbers.NumberParseException:
            return False
    keyword = _PHONE_WORDS.search(before) is not None
    grouped = any(not c.isdigit() for c in candidate)
    if not (grouped or keyword or candidate.startswith("0")):
        return False  # a bare digit run with nothing saying "phone" is an id of some kind
    possible = False
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
        possible = possible or phonenumbers.is_possible_number(number)
    # Made-up or unassigned ranges ("(555) 123-4567") still count when written like a phone number.
    return possible and (keyword or candidate.startswith(("0", "(")) or _US_SHAPE.fullmatch(candidate) is not None)


def _phone_spans(text: str) -> Iterable[Span]:
    for m in _PHONE.finditer(text):
        if _CARD_SHAPE.fullmatch(m.group()):
            continue  # not a phone, and no prefix of it is one either
        # A candidate may have swallowed a following number ("0171 1234567 5 min"): drop trailing groups.
        for group in reversed(list(_GROUP.finditer(m.group()))):
            end = m.start() + len(m.group()[:group.end()].rstrip(".-/("))
            if _is_phone(text, m.start(), end):
                yield Span(m.start(), end, "PHONE")
                break


# ---- street addresses ------------------------------------------------------------------------------

_STOP = (
    r"(?!(?:the|a|an|my|your|our|their|his|her|and|or|of|to|in|on|at|by|for|from|down|up|more|other|days?|weeks?|"
    r"months?|years?|hours?|minutes?|mins?|times?|miles?|km|people|min|way|blocks?)\b)"
)
_EN_WORD = r"(?:[A-Za-z][a-z'’-]+|\d{1,3}(?:st|nd|rd|th))"
_EN_CAP_WORD = r"(?:[A-Z][a-z'’-]+|\d{1,3}(?:st|nd|rd|th))"
_EN_NUMBER = r"(?<![\w.,/-])\d{1,5}[A-Za-z]?(?:-\d{1,5})?,?\s+"
# Unambiguous suffixes also match in lowercase chat ("12 oak ave"); "Way", "Drive", "Place"... are
# ordinary words too, so the street name before them must be capitalised.
_EN_SUFFIX_LOOSE = r"(?i:street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|terrace|crescent|parkway|pkwy)\b\.?"
_EN_SUFFIX_STRICT = r"(?:Drive|Dr|Way|Place|Pl|Court|Ct|Close|Square|Sq|Gardens|Grove|Row|Mews|Hill|Walk|Highway|Hwy)\b\.?"
# Lowercase inside a compound ("Hauptstraße"), capitalised after a hyphen ("Kaiser-Wilhelm-Str."), never
# all caps ("SPRING24" is a promo code); a space before the house number except after "Str.".
_DE_SUFFIX = r"(?:[Ss]tra(?:ß|ss)e\s+|[Ss]tr\.\s*|(?:[Ww]eg|[Aa]llee|[Gg]asse|[Dd]amm|[Uu]fer|[Cc]haussee|[Rr]ing|[Pp]latz)\s+)"
_ES_TYPE = r"(?:[Cc]alle|C/|[Aa]venida|[Aa]vda\.?|Av\.|Paseo|Plaza|Pza\.|Camino|Carretera|Ronda|Travesía|Glorieta)"
_FR_TYPE_LOOSE = r"(?i:rue|avenue|av\.|boulevard|bd|impasse|allée|quai)"
_FR_TYPE_STRICT = r"(?i:place|chemin|route|cours|square)"
_CONNECTOR = r"(?:de|del|la|las|los|el|y|du|des|le|d'|l'|d’|l’)"
_CAP = r"[A-ZÀ-ÝÄÖÜÑ][\wÀ-ÿ'’.-]*"

_ADDRESS = re.compile(
    "|".join(
        [
            # 221B Baker Street, 12 Oak Ave, 350 5th Avenue
            rf"{_EN_NUMBER}(?:{_STOP}{_EN_WORD}\s+){{0,2}}{_STOP}{_EN_WORD}\s+{_EN_SUFFIX_LOOSE}",
            rf"{_EN_NUMBER}(?:{_EN_CAP_WORD}\s+){{0,2}}{_EN_CAP_WORD}\s+{_EN_SUFFIX_STRICT}",
            # Hauptstraße 5, Kaiser-Wilhelm-Str. 12a, Berliner Allee 3 (a word ending in a street type)
            rf"(?<!\w)(?:[A-ZÄÖÜ][\wäöüß]+\s)?[A-Za-zÄÖÜäöü][\wäöüß-]*{_DE_SUFFIX}\d{{1,4}}\s?[a-z]?(?![\w])",
            r"(?<!\w)[A-ZÄÖÜ][\wäöüß-]+(?:er|es)\s(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Ring)\s*\d{1,4}[a-z]?(?!\w)",
            # Calle Mayor 12, Avenida de la Constitución, 3, C/ Alcalá 45, 2º B
            rf"(?<!\w){_ES_TYPE}\s+(?:{_CONNECTOR}\s+)*{_CAP}(?:\s+(?:{_CONNECTOR}|{_CAP})){{0,4}},?\s*(?:n[º°o]\.?\s*)?"
            r"\d{1,4}(?:,?\s*\d{1,2}[º°ª]\s?[A-Z]?\b)?",
            # 12 rue de la Paix, 5 bis avenue Victor Hugo
            rf"(?<![\w.,])\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+{_FR_TYPE_LOOSE}\s+(?:{_CONNECTOR}\s*)*[\wÀ-ÿ'’-]+(?:\s+(?:{_CONNECTOR}\s*)*{_CAP}){{0,3}}",
            rf"(?<![\w.,])\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+{_FR_TYPE_STRICT}\s+(?:{_CONNECTOR}\s*)*{_CAP}(?:\s+(?:{_CONNECTOR}\s*)*{_CAP}){{0,3}}",
        ]
    )
)
# A postcode (and town) right after a street address belongs to it.
_ADDRESS_TAIL = re.compile(
    r",?\s+(?:"
    r"\d{4,5}\s+[A-ZÀ-Ý][\wà-ÿ-]+"  # 10115 Berlin, 28013 Madrid, 75002 Paris
    r"|(?:[A-Z][a-z]+,?\s+)?[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"  # London NW1 6XE
    r"|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?"  # Springfield, IL 62704
    r")\b"
)


def _address_spans(text: str) -> Iterable[Span]:
    for m in _ADDRESS.finditer(text):
        tail = _ADDRESS_TAIL.match(text, m.end())
        yield Span(m.start(), tail.end() if tail else m.end(), "ADDRESS")


# ---- names ----------------------------------------------------------------------------------------


_FIRST_NAME = re.compile(r"[A-ZÀ-ÝÄÖÜÑ][a-zà-ÿäöüßñ'’-]{2,}")


@lru_cache(maxsize=64)
def names_pattern(names: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for people's names: each whole name or handle in any case, and the first name of a
    full name ("Jordan" of "Jordan Lee") as written, capitalised, so "will" never matches "Will Smith"."""
    full = sorted({re.escape(n.strip()) for n in names if n.strip()}, key=len, reverse=True)
    if not full:
        return None
    first = {n.split()[0] for n in names if len(n.split()) > 1 and _FIRST_NAME.fullmatch(n.split()[0])}
    alternatives = [f"(?i:{'|'.join(full)})"] + sorted(map(re.escape, first), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


# ---- putting it together -----------------------------------------------------------------------------


def _resolve(candidates: list[Span], blocked: list[tuple[int, int]]) -> list[Span]:
    """Non-overlapping spans, higher-priority labels first, then longer; none inside a plain link."""
    taken: list[tuple[int, int]] = list(blocked)
    kept: list[Span] = []
    for span in sorted(candidates, key=lambda s: (_RANK[s.label], s.start - s.end, s.start)):
        if all(span.end <= a or span.start >= b for a, b in taken):
            taken.append((span.start, span.end))
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def find_pii(text: str, names: Iterable[str] = ()) -> list[Span]:
    """PII spans in `text`, sorted by position and never overlapping."""
    candidates: list[Span] = []
    blocked: list[tuple[int, int]] = []
    if "http" in text or "www." in text:
        for start, end, secret in _urls(text):
            if secret:
                candidates.append(Span(start, end, "URL"))
            else:
                blocked.append((start, end))  # a plain link stays, and nothing inside it is a phone or address
    if "@" in text or " at " in text or "(at)" in text or "[at]" in text:
        candidates += [Span(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
    if _ANY_DIGIT.search(text):
        candidates += _iban_spans(text)
        candidates += _card_spans(text)
        candidates += _phone_spans(text)
        candidates += _address_spans(text)
    if names and (pattern := names_pattern(frozenset(names))):
        candidates += [Span(m.start(), m.end(), "NAME") for m in pattern.finditer(text)]
    return _resolve(candidates, blocked) if candidates else []


def redact(text: str, names: Iterable[str] = ()) -> str:
    """`text` with each PII span replaced by its placeholder, e.g. "call <PHONE> or mail <EMAIL>"."""
    spans = find_pii(text, names)
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for span in spans:
        out += [text[pos:span.start], f"<{span.label}>"]
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
