"""The exchange index with the real MiniLM embedder and a real Chroma store."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import chromadb
import pytest

from assistant.config import Settings
from assistant.corpus import Corpus
from assistant.privacy import PrivacyPolicy
from assistant.retrieval.index import EmptyIndexError, ExchangeIndex, IndexError_, discard_index
from assistant.retrieval.search_cache import CACHE_DIR, read_generation
from graphs.predraft import nodes
from graphs.predraft.context import Resources
from graphs.predraft.replay import replay
from tests.worlds.retrieval import JONAS_WORDS, USER_TURNS, fill_corpus

pytestmark = pytest.mark.slow

DROP, REDACT = PrivacyPolicy(consent_mode="drop-thread"), PrivacyPolicy(consent_mode="redact")
JONAS_QUERIES = ["Jonas: the zeppelin museum opens saturday, coming?", "Jonas: I brought marzipan from Lübeck",
                 "Someone: are you coming to dinner tonight? pierogi", "Maya: bouldering saturday at 10?"]


@pytest.fixture(params=["exact-scan", "hnsw-graph"])
def searching(request, settings: Settings) -> Settings:
    """Both query paths: a scan of every exchange, and Chroma's graph (used above `exact_search_rows`)."""
    if request.param == "exact-scan":
        return settings
    return settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"exact_search_rows": 0})})


def _stored_text(settings: Settings) -> str:
    """Every document and metadata value Chroma holds, as one string to search."""
    client = chromadb.PersistentClient(path=str(settings.index_dir),
                                       settings=chromadb.Settings(anonymized_telemetry=False))
    got = client.get_collection(settings.retrieval.collection).get(include=["documents", "metadatas"])
    return "\n".join([d or "" for d in got["documents"]] + [str(v) for m in got["metadatas"] for v in m.values()])


def _evidence_text(index: ExchangeIndex) -> str:
    found = [e for q in JONAS_QUERIES for e in index.search(q, k=20)]
    return "\n".join(f"{e.exchange.thread_title} {e.exchange.contact} {e.exchange.context} {e.exchange.reply}"
                     for e in found)


def test_update_embeds_each_user_turn_once_and_a_rerun_adds_nothing(settings, corpus):
    index = ExchangeIndex(settings)
    seen: list[tuple[int, int]] = []
    first = index.update(corpus, DROP, progress=lambda done, total: seen.append((done, total)))
    again = ExchangeIndex(settings).update(corpus, DROP)

    total = sum(USER_TURNS.values())
    assert (first.added, first.total, first.skipped_unchanged, first.removed) == (total, total, 0, 0)
    assert (again.added, again.total, again.skipped_unchanged, again.removed) == (0, total, total, 0)
    assert seen == [(0, total), (total, total)]  # the total first, then each chunk done
    assert index.count() == total


def test_search_finds_the_similar_situation_and_shows_the_users_reply(searching, corpus, thread_ids):
    index = ExchangeIndex(searching)
    index.update(corpus, DROP)
    [best, *_] = index.search("Maya: can you water my plants while I'm on holiday?", k=3)
    assert best.exchange.reply == "of course, leave the key under the mat"
    assert best.exchange.context == "Maya: can you feed my cat this weekend?"
    assert (best.exchange.thread_id, best.exchange.contact, best.exchange.platform) == (thread_ids["Maya"], "Maya",
                                                                                        "whatsapp")
    assert best.exchange.timestamp == datetime(2021, 9, 20, 19, 2, tzinfo=UTC)
    assert 0.4 < best.similarity <= 1.0


def test_five_oks_to_the_same_question_come_back_as_one(searching, corpus):
    index = ExchangeIndex(searching)
    index.update(corpus, DROP)
    found = index.search("Maya: are you coming to dinner tonight?", k=5)
    replies = [e.exchange.reply for e in found]
    assert len(found) == 5
    assert sum(r.lower().strip("!.") == "ok" for r in replies) == 1
    assert found[0].similarity > 0.9  # the exact question is the first pick


def test_as_of_cut_and_the_current_threads_future_are_left_out(searching, corpus, thread_ids):
    index = ExchangeIndex(searching)
    index.update(corpus, DROP)
    cut = datetime(2022, 1, 1, tzinfo=UTC)
    early = index.search("Maya: are you coming to dinner tonight?", k=10, before=cut)
    assert early and all(e.exchange.timestamp < cut for e in early)
    assert {e.exchange.year for e in early} == {2021}

    maya, since = thread_ids["Maya"], datetime(2022, 1, 8, 19, 0, tzinfo=UTC)
    found = index.search("Maya: are you coming to dinner tonight?", k=20, exclude_thread=(maya, since))
    assert not [e for e in found if e.exchange.thread_id == maya and e.exchange.timestamp >= since]
    assert [e for e in found if e.exchange.thread_id == maya]  # its past is still evidence
    assert [e for e in found if e.exchange.thread_id != maya and e.exchange.timestamp >= since]  # other threads too

    assert index.search("Maya: hi", before=datetime(2020, 1, 1, tzinfo=UTC)) == []
    # Before April 2021 only Maya's thread had begun: all of it is the future when drafting from its start.
    start = (maya, datetime(2021, 1, 1, tzinfo=UTC))
    assert index.search("Maya: hi", before=datetime(2021, 4, 1, tzinfo=UTC), exclude_thread=start) == []


@pytest.mark.parametrize("before", [None, datetime(2022, 6, 1, tzinfo=UTC), datetime(2021, 7, 1, tzinfo=UTC)])
def test_graph_candidates_are_the_exact_scans(settings, corpus, thread_ids, before):
    ExchangeIndex(settings).update(corpus, DROP)
    exact = ExchangeIndex(settings)
    graph = ExchangeIndex(settings.model_copy(
        update={"retrieval": settings.retrieval.model_copy(update={"exact_search_rows": 0})}))
    q = exact.embedder.embed(["Maya: are you coming to dinner tonight?"])[0]
    maya_from_june = (thread_ids["Maya"], datetime(2021, 6, 1, tzinfo=UTC))
    for n in (1, 3, 10):
        for exclude in (None, maya_from_june):
            # Similarities, not ids: identical contexts tie, and a tie may come back in either order.
            found = [round(sim, 5) for _, sim in graph.nearest(q, n, before=before, exclude_thread=exclude)]
            assert found == [round(sim, 5) for _, sim in exact.nearest(q, n, before=before, exclude_thread=exclude)]
            assert len(found) == min(n, len(exact.nearest(q, 100, before=before, exclude_thread=exclude)))


@pytest.mark.parametrize("policy", [DROP, REDACT], ids=["drop-thread", "redact"])
def test_an_excluded_contacts_words_and_name_never_reach_the_index(settings, corpus, policy):
    corpus.set_consent("Jonas", excluded=True)
    index = ExchangeIndex(settings)
    report = index.update(corpus, policy)

    # drop-thread loses his thread and the group he wrote in; redact keeps Sam's replies there.
    assert report.total == (USER_TURNS["Maya"] + USER_TURNS["Priya"] if policy is DROP else sum(USER_TURNS.values()))
    for text in (_stored_text(settings), _evidence_text(index)):
        assert not [w for w in JONAS_WORDS if w.lower() in text.lower()]
    if policy is REDACT:
        assert "Someone: [message withheld]" in _stored_text(settings)


@pytest.mark.parametrize("policy", [DROP, REDACT], ids=["drop-thread", "redact"])
def test_excluding_someone_after_indexing_removes_them_on_the_next_update(settings, corpus, policy):
    index = ExchangeIndex(settings)
    index.update(corpus, policy)
    assert "marzipan" in _stored_text(settings)

    corpus.set_consent("Jonas", excluded=True)
    report = index.update(corpus, policy)

    if policy is DROP:
        assert (report.removed, report.added) == (USER_TURNS["Jonas"] + USER_TURNS["Climbing crew"], 0)
    else:  # his thread's three exchanges and the group one with his line in its context are rewritten
        assert (report.removed, report.added) == (0, 4)
    for text in (_stored_text(settings), _evidence_text(index), _evidence_text(ExchangeIndex(settings))):
        assert not [w for w in JONAS_WORDS if w.lower() in text.lower()]


def test_phone_numbers_and_emails_are_redacted_before_indexing(settings, corpus):
    ExchangeIndex(settings).update(corpus, DROP)
    stored = _stored_text(settings)
    assert "Priya: my new number is <PHONE>, email <EMAIL>" in stored
    assert "23456789" not in stored and "priya.nair" not in stored


def test_a_missing_search_cache_is_rebuilt_from_chroma(settings, corpus):
    index = ExchangeIndex(settings)
    index.update(corpus, DROP)
    query = "Maya: are you free for lunch on friday?"
    before = [(e.exchange, round(e.similarity, 5)) for e in index.search(query)]
    shutil.rmtree(settings.index_dir / CACHE_DIR)

    reopened = ExchangeIndex(settings)
    assert [(e.exchange, round(e.similarity, 5)) for e in reopened.search(query)] == before
    assert (settings.index_dir / CACHE_DIR / read_generation(settings.index_dir) / "vectors.npy").is_file()


def test_rebuild_forgets_everything_and_embeds_again(settings, corpus):
    index = ExchangeIndex(settings)
    index.update(corpus, DROP)
    index.close()
    discard_index(settings)
    index = ExchangeIndex(settings)
    assert index.count() == 0
    assert index.update(corpus, DROP).added == sum(USER_TURNS.values())


def test_searching_an_empty_index_says_to_run_predraft_index(settings):
    with pytest.raises(EmptyIndexError, match=r"the index at .* is empty: run `predraft index`"):
        ExchangeIndex(settings).search("Maya: hi")


def test_update_needs_a_corpus_and_the_users_name(data_dir, settings):
    empty = settings.model_copy(update={"data_dir": data_dir / "empty"})
    with Corpus(empty.corpus_path) as corpus, pytest.raises(IndexError_, match=r"is empty: run `predraft ingest PATH`"):
        ExchangeIndex(empty).update(corpus, DROP)

    nobody = settings.model_copy(update={"data_dir": data_dir / "no-me"})
    fill_corpus(nobody.corpus_path, set_me=False)
    with Corpus(nobody.corpus_path) as corpus, pytest.raises(IndexError_, match=r"`predraft me set NAME`"):
        ExchangeIndex(nobody).update(corpus, DROP)


@pytest.mark.parametrize("policy", [DROP, REDACT], ids=["drop-thread", "redact"])
def test_an_exclusion_holds_for_drafting_before_any_reindex(settings, corpus, thread_ids, policy):
    """`predraft consent exclude` and draft at once: the graph's evidence already leaves them out."""
    settings = settings.model_copy(update={
        "retrieval": settings.retrieval.model_copy(update={"top_k": 20}),
        "privacy": settings.privacy.model_copy(update={"consent_mode": policy.consent_mode})})
    index = ExchangeIndex(settings)
    index.update(corpus, policy)

    def evidence_text() -> str:
        with replay(Resources(settings, index=index)) as at:
            state = at.run(thread_ids["Maya"], datetime(2030, 1, 1, tzinfo=UTC), None,
                           (nodes.load_thread, nodes.retrieve))
        return "\n".join(" ".join(str(v) for v in e.values()) for e in state["evidence"])

    assert [w for w in JONAS_WORDS if w.lower() in evidence_text().lower()]  # he is there to begin with
    corpus.set_consent("Jonas", excluded=True)
    after = evidence_text().lower()
    assert not [w for w in JONAS_WORDS if w.lower() in after]
    assert "jonas" not in after  # nor his name, in titles, contexts or answers
