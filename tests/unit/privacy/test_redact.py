import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.privacy.redact import LABELS, Span, find_pii, redact
from benchmarks.redaction import HELD_OUT, LABELLED, evaluate, load_labelled

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("new number: +49 170 1234567 save it", "new number: <PHONE> save it"),
        ("call me at (555) 123-4567?", "call me at <PHONE>?"),
        ("Handy: 0171/1234567", "Handy: <PHONE>"),
        ("text me on 07700 900123 when you land", "text me on <PHONE> when you land"),
        ("mon numéro : 06 12 34 56 78", "mon numéro : <PHONE>"),
        ("mi móvil es 612 345 678", "mi móvil es <PHONE>"),
        ("mail maya.chen@example.com!", "mail <EMAIL>!"),
        ("card 4111 1111 1111 1111 exp 12/27", "card <CARD> exp 12/27"),
        ("4111 1111 1111 1111 12 27 is the card", "<CARD> 12 27 is the card"),
        ("IBAN DE89 3704 0044 0532 0130 00 danke", "IBAN <IBAN> danke"),
        ("reset: https://x.example/reset?token=abc123def thx", "reset: <URL> thx"),
        ("zoom https://zoom.us/j/98765432101?pwd=Zk9xQ2lL", "zoom <URL>"),
        ("new place: 221B Baker Street, London NW1 6XE 🎉", "new place: <ADDRESS> 🎉"),
        ("come by 12 oak ave at 7", "come by <ADDRESS> at 7"),
        ("wir wohnen in der Hauptstraße 5, 10115 Berlin", "wir wohnen in der <ADDRESS>"),
        ("vivo en Calle Mayor 12, 28013 Madrid", "vivo en <ADDRESS>"),
        ("j'habite au 12 rue de la Paix, 75002 Paris", "j'habite au <ADDRESS>"),
    ],
)
def test_redacts_each_kind(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "meet 12.03.2024 at 14:30",
        "the 2024-2025 season pass is out",
        "it was $1,299.99 with the discount",
        "das kostet 1.299,00 € im Angebot",
        "order 4820-1938-4756-1234 shipped",  # 16 digits, fails Luhn
        "Bestellnummer 4820193847, kommt Donnerstag",
        "I live on the 5th floor",
        "we walked 5 miles down the road",
        "version 2.14.3 fixed it",
        "the IP is 192.168.178.21",
        "check this out https://example.com/page",
        "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
        "use promo code SPRING24",
        "on a fait 3 cours de cuisine",
        "la calle tiene 3 carriles",
    ],
)
def test_leaves_hard_negatives_alone(text):
    assert redact(text) == text


def test_a_number_inside_a_plain_link_is_not_a_phone():
    text = "see https://shop.example.com/item/01711234567 ok"
    assert find_pii(text) == []


def test_find_pii_returns_sorted_non_overlapping_spans():
    text = "mail maya@example.com or call +44 7700 900461, I'm at 12 Oak Ave"
    spans = find_pii(text)
    assert [(text[s.start:s.end], s.label) for s in spans] == [
        ("maya@example.com", "EMAIL"),
        ("+44 7700 900461", "PHONE"),
        ("12 Oak Ave", "ADDRESS"),
    ]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_names_match_whole_words_in_any_case_and_first_names_as_written():
    names = ["Jordan Lee", "jl88"]
    assert redact("tell JORDAN LEE and jl88 hi", names) == "tell <NAME> and <NAME> hi"
    assert redact("Jordan said so", names) == "<NAME> said so"
    # a first name alone only counts capitalised, so common words stay ("will" of "Will Smith")
    assert redact("i will call jordanian friends", ["Will Smith", "Jordan Lee"]) == "i will call jordanian friends"


def test_a_card_number_wins_over_a_phone_reading_of_it():
    assert find_pii("5555555555554444") == [Span(0, 16, "CARD")]


@given(st.text(alphabet=st.characters(categories=["L", "Zs", "Po", "So"], exclude_characters="@"), max_size=200))
def test_text_without_digits_at_signs_links_or_names_is_unchanged(text):
    if "www." not in text and "http" not in text and " at " not in text:
        assert redact(text) == text


def test_labelled_set_is_well_formed():
    records = load_labelled(LABELLED)
    assert len(records) >= 150
    assert {r["lang"] for r in records} == {"en", "de", "es", "fr"}
    assert sum(not r["spans"] for r in records) >= 60  # hard negatives
    for r in records:
        for start, end, label in r["spans"]:
            assert 0 <= start < end <= len(r["text"]) and label in LABELS, r["id"]
            assert r["text"][start:end].strip() == r["text"][start:end], r["id"]


@pytest.mark.parametrize("path", [LABELLED, HELD_OUT], ids=["labelled", "held_out"])
def test_precision_and_recall_on_the_labelled_sets(path):
    scores = evaluate(find_pii, load_labelled(path))
    overall = scores["overall"]
    assert overall["recall"] >= 0.9 and overall["precision"] >= 0.9, json.dumps(scores["errors"], ensure_ascii=False)
    for label, s in scores["per_label"].items():
        assert s["precision"] >= 0.8 and s["recall"] >= 0.8, (label, s)
