"""A replayed turn reads the thread as training read it: the prompt `predraft eval` drafts from is the example's."""

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


def test_every_replayed_turn_sees_the_prompt_its_example_was_trained_on(settings):
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
    assert [transcript_prompt(state, settings) for state in states] == [e.prompt for e in examples]
    # the opener's evidence may come from the thread's whole past: none of it is in its prompt
    assert states[1]["since"] == opener.when.isoformat()
