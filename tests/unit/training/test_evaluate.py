import hashlib

import numpy as np
import pytest

from training.evaluate import SYSTEMS, Case, Fidelity, markdown, other_speakers, plot, report

HEAD = "### WhatsApp chat with Maya Chen · Sunday 2024-04-07\n"
USER = ["yess omw", "haha no way", "omg tell me everything", "ok see u at 7", "lol same", "cant tonight sorry",
        "yess the thai place", "haha ok ok", "omw 10 min", "no way thats huge"]
MAYA = ["Are you coming tonight?", "Please bring the speaker.", "I will be there at seven.",
        "Did you see the message from Sam?", "The meeting moved to Thursday.", "Thank you, that was kind.",
        "Could you call me when you land?", "We should book the table soon.", "It was a long day at work.",
        "Remember to water the plants."]


def row(other: str, reply: str) -> dict:
    return {"prompt": f"{HEAD}Maya Chen: {other}\nMe:", "reply": reply}


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors that depend only on the text: a stand-in for MiniLM."""
    rows = [np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8).astype(float) - 127.5 for t in texts]
    vectors = np.array(rows)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def fidelity() -> Fidelity:
    train = [row(m, u) for m, u in zip(MAYA, USER, strict=True)]
    val = [row("Shall we meet at the station?", "yess omw lol"), row("The concert starts at eight.", "haha ok")]
    return Fidelity.from_rows(train, val, ("Alex Rivera", "Alex"))


def cases() -> list[Case]:
    found = []
    for other, reply, drafts in [
        ("Are you coming to the party tonight?", "yess omw",
         ("yess omw", "yess omw 🚲", "", "are you coming to the party tonight")),
        ("Tell Alex the table is booked.", "omg yess", ("omg yess!", "Alex, the table is booked", "omg yess", "ok")),
    ]:
        case = Case(f"{HEAD}Maya Chen: {other}\nMe:", f" {reply}\n", reply, 2024)
        case.drafts = {system: [draft] for system, draft in zip(SYSTEMS, drafts, strict=True)}
        found.append(case)
    return found


def test_other_speakers_of_a_prompt():
    assert other_speakers(f"{HEAD}Maya Chen: hi\nMe: hey\nSam Okafor: yo\nMe:") == {"Maya Chen", "Sam Okafor"}


def test_the_judge_reference_comes_from_the_validation_split(fidelity):
    reference = fidelity.reference
    assert (reference.user_texts, reference.other_texts) == (2, 2)
    assert reference.ceiling == 1.0 and reference.floor == 0.0
    assert fidelity.profile.names == ("Alex Rivera", "Alex")


def test_the_report_scores_each_system_and_the_real_replies(fidelity, tmp_path):
    rep = report(cases(), embed, {"run": "r1"}, fidelity)
    assert rep["judge"]["median_reply_chars"] == fidelity.profile.median_chars
    assert rep["real"]["failures"]["any"] == 0.0 and rep["real"]["judge_attribution"] == 1.0
    product, base, lora, retrieval = (rep["overall"][s] for s in SYSTEMS)
    assert product["failures"]["any"] == 0.0 and product["chrf"] > base["chrf"]
    assert base["failures"]["wrong_speaker"] == 0.5  # "Alex, the table is booked"
    assert lora["failures"]["empty"] == 0.5
    assert retrieval["failures"]["echo"] == 0.5  # Maya's question handed back
    assert lora["mean_chars"] == len("omg yess") / 2
    assert 0.0 <= base["judge_attribution"] <= 1.0

    assert set(rep["versus"]) == {"base", "lora", "retrieval"}
    gap = rep["versus"]["base"]["chrf"]
    assert gap["difference"] == pytest.approx(product["chrf"] - base["chrf"]) and gap["ci95"][0] <= gap["ci95"][1]

    text = markdown(rep)
    assert "## Does it sound like you?" in text
    assert "## Is what you get better than each part alone?" in text and "| base | +" in text
    assert "| wrong speaker | 0.000 | 0.000 | 0.500 | 0.000 | 0.000 |" in text
    assert "| judge_attribution |" in text
    paths = plot(rep, tmp_path / "plots")
    assert [p.name for p in paths] == ["overall.png", "per_year.png", "fidelity.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
