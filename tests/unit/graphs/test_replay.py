"""A replayed turn reads the thread as `predraft draft` would have then, which is how training read it,
except after a long silence: live drafting answers the last conversation however old, while the
dataset starts a new one with no context. Evaluation measures what the user gets, so the replay reads
it live (on held-out turns that context helped: docs/fidelity.md)."""

from datetime import UTC, datetime, timedelta

from graph_doubles import PAST_EXCHANGES, ListIndex, ScriptedBackend, WordsEmbedder

from assistant.corpus import Corpus
from assistant.prompting import header_day
from graphs.predraft import nodes
from graphs.predraft.context import Resources
from graphs.predraft.prompts import transcript_prompt
from graphs.predraft.replay import replay
from tests.worlds.threads import ChatThread, import_threads
from training.examples import thread_examples

DAY_ONE = datetime(2023, 5, 1, 18, 0, tzinfo=UTC)
# Alex writes first two days later, after a silence longer than any conversation gap: a new conversation.
MAYA = ChatThread("maya", "whatsapp", "Maya", ("Maya", "Alex"), [
    (DAY_ONE, [("Maya", "dinner at mine tonight?"), ("Alex", "yes! what can I bring"), ("Maya", "just yourself")]),
    (DAY_ONE + timedelta(days=2), [("Alex", "thanks again for dinner"), ("Maya", "anytime!"),
                                   ("Alex", "next time at mine")]),
])


def test_a_replayed_turn_reads_the_thread_as_live_drafting_then_would(settings):
    with Corpus(settings.corpus_path) as corpus:
        import_threads(corpus, [MAYA], UTC, gap=timedelta(minutes=1))
        corpus.set_me("Alex")
        thread = corpus.thread("Maya")
        examples = thread_examples(thread, corpus.messages(thread.id), settings.dataset, "Alex").examples
    assert len(examples) == 3
    opener = examples[1]
    assert opener.context_messages == 0  # training saw the thank-you start its own conversation

    resources = Resources(settings, backend=ScriptedBackend(), index=ListIndex(list(PAST_EXCHANGES), WordsEmbedder()))
    with replay(resources) as at:
        states = [at.run(e.thread_id, e.when, header_day(e.prompt).isoformat(), (nodes.load_thread,))
                  for e in examples]
    prompts = [transcript_prompt(state, settings) for state in states]
    assert [prompts[0], prompts[2]] == [examples[0].prompt, examples[2].prompt]
    # two days on, the replay, like `predraft draft`, still reads the dinner conversation
    assert prompts[1].endswith("Maya: dinner at mine tonight?\nMe: yes! what can I bring\nMaya: just yourself\nMe:")
    assert prompts[1].split("\n", 1)[0] == opener.header
