"""The review screen: threads | transcript | drafts, the predicted chain and the evidence behind them.

Every model call runs as a job of `ModelScreen` (a thread worker, one at a time, Esc cancels) and
streams its tokens to the widgets as they come, so the UI never waits on the model. predraft sends nothing itself: an accepted or edited draft is copied
to the clipboard and recorded as a decision by the chain.

`predraft watch` or `predraft live` may answer the open chain meanwhile (a real message came in). The
screen looks for that every few seconds and shows the chain as it now is, with the thread's new
messages and the badges of threads that got new drafts; an answer given here names the version it
was shown (`shown=`), so one that arrives after watch's is refused and shown instead, never recorded
for drafts the user did not see.

`s` hands the draft to the thread's live source (graphs/predraft/live.accept: delivered first, then
recorded), only after the user says yes to it in a dialog and only where the source allows it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.widgets import Footer, Header, Input

from assistant.corpus.store import Corpus
from assistant.errors import PredraftError
from assistant.files import write_atomic
from assistant.ingest.live.base import LiveError, LiveSource
from assistant.ingest.live.reopen import thread_source
from assistant.tui.commands import ScreenCommands, ThreadCommands
from assistant.tui.context import UIContext
from assistant.tui.models.autosave import EditAutosave
from assistant.tui.models.review import chain_lines, cycle, is_open
from assistant.tui.models.threads import ThreadItem, load_threads, next_pending, with_pending
from assistant.tui.screens.confirm import ConfirmScreen
from assistant.tui.models.transcript import transcript_items
from assistant.tui.screens.edit import EditScreen
from assistant.tui.screens.help import HelpScreen
from assistant.tui.screens.model_screen import ModelScreen
from assistant.tui.widgets.chain_panel import ChainPanel
from assistant.tui.widgets.drafts_panel import DraftsPanel
from assistant.tui.widgets.evidence_panel import EvidencePanel
from assistant.tui.widgets.thread_list import ThreadList
from assistant.tui.widgets.transcript import Transcript
from graphs.predraft.api import ChainChangedError, DraftChain, OnToken
from graphs.predraft.live import accept, undeliverable
from graphs.predraft.views import ChainView

CLIPBOARD_FILE = "last-draft.txt"  # the copy fallback, for terminals without OSC 52
CHAIN_HINT = "a (accept) or g (go deeper): their likely answer appears here, with your reply pre-drafted."
FOLLOW_S = 3.0  # how often the screen looks for what another predraft process did to the open thread
FROM_EXPORT = "This thread came from an export: copy the text instead (y)."
MOVED_ON = ("Another predraft process (predraft watch?) moved this chain on while it was shown; here it is as "
            "it stands now. Nothing was recorded.")


@dataclass(frozen=True)
class ReviewOptions:
    thread_id: int | None = None  # the thread to open first [default: the first with drafts waiting]
    chain_id: str | None = None  # ... showing this chain of it
    fresh: bool = False  # draft the first thread anew even if a chain waits there (the demo)
    depth: int = 2
    as_of: date | None = None


@dataclass(frozen=True)
class ChainJob:
    """A call into the chain that may generate: run in a worker, its view shown when it returns."""

    label: str  # what the drafts pane says while it runs
    run: Callable[[DraftChain, OnToken, threading.Event], ChainView]
    done: str | None = None  # said once it finished


class ReviewScreen(ModelScreen):
    AUTO_FOCUS = "#drafts"  # the single-key actions work at once; `/` moves to the search box
    COMMANDS = {ScreenCommands, ThreadCommands}
    # Short descriptions fit the footer; the tooltips name the actions in the help screen and Ctrl+P.
    BINDINGS = [
        Binding("a", "accept", "Accept", tooltip="Accept the selected draft (copies it, records the decision)"),
        Binding("e", "edit", "Edit", tooltip="Edit the selected draft (saved as you type)"),
        Binding("r", "regenerate", "Regen", tooltip="Regenerate the drafts (or draft this thread)"),
        Binding("x", "reject", "Reject", tooltip="Reject the drafts (recorded, ends the chain)"),
        Binding("c", "cycle", "Cycle", tooltip="Select the next candidate draft"),
        Binding("n", "next_pending", "Pending", tooltip="Go to the next thread with drafts waiting"),
        Binding("g", "deeper", "Deeper", tooltip="Go deeper: assume the selected draft is sent, predict the answer"),
        Binding("y", "copy", "Copy", tooltip="Copy the selected draft to the clipboard"),
        Binding("s", "send", "Send", tooltip="Send the selected draft in a live thread (asks first)"),
        Binding("escape", "cancel", "Cancel", tooltip="Cancel the generation in progress"),
        Binding("slash", "search", "Search", tooltip="Search the threads"),
        Binding("f1,question_mark", "help", "Help", tooltip="Show the keys"),
        Binding("q", "app.quit", "Quit", tooltip="Quit (edits in progress are kept)"),
    ]
    ABOUT = ("predraft never sends a message on its own. Accept (a) or save an edit (Ctrl+S in the editor) "
             "copies the reply to the clipboard and records your decision for the next training set; paste it "
             "into your chat app yourself. In a thread of `predraft live`, s sends it there (Matrix: rooms you "
             "allowed with --allow-send; mail: a reply in Drafts) once you confirm. Edits are saved as you "
             "type and come back after a crash.")

    # The key bindings follow the open thread and its chain (check_action), and `generating`.
    thread_id: var[int | None] = var(None, bindings=True)
    view: var[ChainView | None] = var(None, bindings=True)

    def __init__(self, ctx: UIContext, chain: DraftChain, options: ReviewOptions):
        super().__init__()
        self.ctx = ctx
        self.chain = chain
        self.options = options
        self.corpus = Corpus(ctx.settings.corpus_path)  # the UI's own connection; workers use the chain's
        self.autosave = EditAutosave(ctx.settings.data_dir)
        self.items: list[ThreadItem] = []
        self.selected = 0
        self.latest_shown: str | None = None  # the open thread's newest chain when it was last shown
        self.last_message_id: int | None = None  # the open thread's newest message when it was last shown
        self.chains_seen = 0  # the ledger's newest chain row when the badges were last brought up to date

    # ---- layout and start --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="main"):
            yield ThreadList(self.ctx.clock, id="threads")
            yield Transcript(id="transcript")
            with Vertical(id="side"):
                yield DraftsPanel(id="drafts")
                yield ChainPanel(id="chain")
                yield EvidencePanel(id="evidence")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_interval(FOLLOW_S, self._follow_other_processes)
        self.chains_seen = max((row for row, _, _ in self.chain.ledger.chains_after(0)), default=0)
        self.items = with_pending(load_threads(self.corpus), self._pending_threads())
        self.query_one(ThreadList).set_threads(self.items)
        if self._restore_edit():
            return
        thread_id, chain_id = self._initial()
        if thread_id is None:
            self.query_one(DraftsPanel).note("The corpus is empty: run `predraft ingest PATH` first.")
            return
        self.open_thread(thread_id, chain_id, fresh=self.options.fresh and chain_id is None)

    def close_resources(self) -> None:
        self.chain.close()
        self.corpus.close()

    def _pending_threads(self) -> set[int]:
        pending = set()
        for item in load_threads(self.corpus):
            chain_id = self.chain.latest_chain(item.id)
            if chain_id is not None and is_open(self.chain.view(chain_id)):
                pending.add(item.id)
        return pending

    def _initial(self) -> tuple[int | None, str | None]:
        if self.options.thread_id is not None:
            return self.options.thread_id, self.options.chain_id
        first = next((i for i in self.items if i.pending), None) or next(
            (i for i in self.items if not i.excluded), None)
        return (first.id if first else None), None

    def _restore_edit(self) -> bool:
        """Reopen the newest edit that was in progress when the app last stopped."""
        for saved in self.autosave.pending():
            view = self.chain.view(saved.chain_id) if self.chain.ledger.has_chain(saved.chain_id) else None
            if view is None or not is_open(view) or view.step != saved.step:
                self.autosave.discard(saved.chain_id, saved.step)  # the chain moved on: nothing to restore
                continue
            self.open_thread(view.thread_id, view.chain_id)
            self.selected = saved.chosen_index or 0
            self.query_one(DraftsPanel).select(self.selected)
            self._open_editor(saved.text)
            self.notify(f"Restored your unsaved edit from {saved.saved_at[:16].replace('T', ' ')} UTC.",
                        title="Edit restored")
            return True
        return False

    # ---- threads -----------------------------------------------------------------------------

    def thread_items(self) -> list[ThreadItem]:
        return self.items

    def _item(self, thread_id: int | None) -> ThreadItem | None:
        return next((i for i in self.items if i.id == thread_id), None)

    def open_thread(self, thread_id: int, chain_id: str | None = None, fresh: bool = False) -> None:
        """Show a thread, its open chain if it has one, and draft if someone waits for an answer (or `fresh`)."""
        self.cancel_job()  # what it drafts still lands in its own chain; only the badge shows it here
        item = self._item(thread_id)
        thread = self.corpus.thread(thread_id)
        self.thread_id, self.view, self.selected = thread_id, None, 0
        self.latest_shown = self.chain.latest_chain(thread_id)
        self._show_transcript(thread_id)
        self.query_one(ThreadList).mark_current(thread_id)
        self.sub_title = thread.title + (f" · as of {self.options.as_of}" if self.options.as_of else "")
        drafts, chain, evidence = self.query_one(DraftsPanel), self.query_one(ChainPanel), self.query_one(EvidencePanel)
        chain.show([], CHAIN_HINT)
        evidence.show([])
        if item is not None and item.excluded:
            drafts.note("Someone in this thread did not consent to being part of predraft, so no replies are "
                        "drafted here (`predraft consent list`).")
            return
        chain_id = chain_id or (None if fresh else self.chain.latest_chain(thread_id))
        view = self.chain.view(chain_id) if chain_id else None
        if view is not None and (is_open(view) or view.status == "stalled"):
            self._show(view)
        elif fresh or (item is not None and not item.last_is_me):
            self.start_chain()
        else:
            drafts.note("You wrote last, so nothing waits for an answer. r drafts another message anyway.")

    def _show_transcript(self, thread_id: int) -> None:
        messages = self.corpus.messages(thread_id)
        self.last_message_id = max((m.id for m in messages), default=None)
        self.query_one(Transcript).show(f"{self.corpus.thread(thread_id).title} · {len(messages)} messages",
                                        transcript_items(messages, self.ctx.tz, self.ctx.today()))

    @on(ThreadList.Selected)
    def _thread_selected(self, event: ThreadList.Selected) -> None:
        self.remove_class("-threads-open")
        if event.thread_id != self.thread_id:
            self.open_thread(event.thread_id)

    def _set_pending(self, thread_id: int, pending: bool) -> None:
        self.items = [i if i.id != thread_id else with_pending([i], {thread_id} if pending else set())[0]
                      for i in self.items]
        self.query_one(ThreadList).set_threads(self.items)

    # ---- showing a chain ---------------------------------------------------------------------

    def _show(self, view: ChainView) -> None:
        self.view = view
        self.latest_shown = self.chain.latest_chain(view.thread_id)
        self.selected = min(self.selected, max(len(view.candidates) - 1, 0))
        drafts = self.query_one(DraftsPanel)
        threshold = self.ctx.settings.draft.confidence_threshold
        if view.status == "stalled":
            drafts.note("Drafting was interrupted before it finished. r finishes it.")
        elif view.status == "done":
            drafts.note("This chain is finished. r starts a new one for the thread.", title="Drafts · chain finished")
        else:
            drafts.show(view, self.selected, threshold)
        counts = self.chain.ledger.prediction_counts()
        self.query_one(ChainPanel).show(chain_lines(view), CHAIN_HINT, counts["hits"], counts["hits"] + counts["misses"])
        self.query_one(EvidencePanel).show(view.evidence)
        self._set_pending(view.thread_id, is_open(view))

    def _moved_on(self, view: ChainView) -> bool:
        """Whether another process moved the chain on since `view` was shown; if so, it is shown as it is now."""
        try:
            current = self.chain.view(view.chain_id)
        except PredraftError as exc:
            self._unreadable(exc)
            return True
        if current.version == view.version:
            return False
        self.selected = 0
        self._show(current)
        self.notify(MOVED_ON, title="Chain changed", severity="warning")
        return True

    def _follow_other_processes(self) -> None:
        """Show what another process (`predraft watch`, `predraft live`) did: messages that came into the open
        thread, its chain answered (a prediction hit serves its pre-draft) or drafted anew, and new drafts
        in other threads (their badge). A few indexed lookups a tick; pages are read only when they changed."""
        if self.thread_id is None or self.generating:
            return
        drafted = self._drafted_elsewhere()
        try:
            arrived = self.corpus.last_message_id(self.thread_id) != self.last_message_id
            latest = self.chain.latest_chain(self.thread_id)
            shown = self.view.chain_id if self.view else None
            chain_id = latest if latest not in (None, self.latest_shown) else shown
            current = self.chain.view(chain_id) if chain_id is not None else None
        except PredraftError as exc:
            self._unreadable(exc)
            return
        if arrived or drafted:  # the list again: new threads, ages, counts, who wrote last; then the badges
            pending = ({i.id for i in self.items if i.pending} | {t for t, p in drafted.items() if p}) - {
                t for t, p in drafted.items() if not p}
            self.items = with_pending(load_threads(self.corpus), pending)
            self.query_one(ThreadList).set_threads(self.items)
        if arrived:
            self._show_transcript(self.thread_id)
        if current is None or (self.view is not None
                               and (current.chain_id, current.version) == (self.view.chain_id, self.view.version)):
            return
        self.selected = 0
        self._show(current)
        self.notify("Updated by another predraft process (predraft watch?).", title="Chain changed")

    def _drafted_elsewhere(self) -> dict[int, bool]:
        """Other threads with chains started since the last look: thread -> whether drafts wait there."""
        drafted = {}
        for row, chain_id, thread_id in self.chain.ledger.chains_after(self.chains_seen):
            self.chains_seen = row
            if thread_id == self.thread_id:
                continue  # the open thread's chain is shown, badge and all
            try:
                drafted[thread_id] = is_open(self.chain.view(chain_id))
            except PredraftError:
                continue  # deleted meanwhile (consent exclude): no badge
        return drafted

    def _unreadable(self, exc: PredraftError) -> None:
        """The chain on screen cannot be read any more (deleted by `predraft consent exclude` in another
        process, a damaged checkpoint file): said in the drafts pane, not a crash."""
        self.view = None
        self.query_one(DraftsPanel).note(str(exc), title="Drafts · error")

    def _selected_text(self) -> str | None:
        if self.view is None or not self.view.candidates:
            return None
        return self.view.candidates[self.selected].text

    # ---- generating --------------------------------------------------------------------------

    def start_job(self, job: ChainJob) -> None:
        """Run a chain call as the screen's model job, its tokens streamed into the drafts and chain panes."""
        thread_id = self.thread_id  # the user may open another thread meanwhile: results stay with this one
        item = self._item(thread_id)
        other = item.title if item else "them"
        self.query_one(DraftsPanel).begin(job.label, self.ctx.settings.draft.candidates)
        self.query_one(ChainPanel).predicting = ""

        def run(cancel: threading.Event) -> tuple[ChainView, bool]:
            try:
                return job.run(self.chain, self._token_sink(other, cancel), cancel), False
            except ChainChangedError as changed:  # another process answered first: its outcome is shown instead
                return changed.view, True

        self.run_job(run, partial(self._finished, job), partial(self._failed, thread_id))

    def start_chain(self) -> None:
        thread_id, depth, as_of = self.thread_id, self.options.depth, self.options.as_of
        self.start_job(ChainJob(
            "drafting",
            lambda chain, on_token, cancel: chain.start(thread_id, depth=depth, as_of=as_of, on_token=on_token,
                                                        cancel=cancel),
        ))

    def _token_sink(self, other: str, cancel: threading.Event) -> OnToken:
        """The job's token callback (called in the worker thread): each piece goes to its pane, counted."""
        tokens: dict[int, int] = {}

        def on_token(index: int, piece: str) -> None:
            tokens[index] = tokens.get(index, 0) + 1
            self.call_from_worker(self._piece, cancel, other, index, piece, tokens[index])

        return on_token

    def _piece(self, cancel: threading.Event, other: str, index: int, piece: str, count: int) -> None:
        if cancel.is_set():  # cancelled, replaced, or its thread closed: the panes show something else now
            return
        drafts = self.query_one(DraftsPanel)
        if index < 0:
            self.query_one(ChainPanel).add_piece(other, piece)
            drafts.progress(f"predicting {other}'s next message · {count} tokens")
        else:
            drafts.add_piece(index, piece)
            drafts.progress(f"drafting candidate {index + 1}/{self.ctx.settings.draft.candidates} · {count} tokens")

    def _finished(self, job: ChainJob, outcome: tuple[ChainView, bool], cancelled: bool) -> None:
        view, moved_on = outcome
        if view.thread_id != self.thread_id:  # cancelled by opening another thread: only its badge changes
            self._set_pending(view.thread_id, is_open(view))
            return
        self.selected = 0
        self._show(view)
        if moved_on:
            self.notify(MOVED_ON, title="Chain changed", severity="warning")
        elif cancelled:
            self.notify("Cancelled: what was drafted so far is shown. r drafts again.", title="Generation cancelled")
        elif job.done:
            self.notify(job.done)

    def _failed(self, thread_id: int | None, message: str) -> None:
        if thread_id == self.thread_id:
            self.query_one(DraftsPanel).note(f"Drafting failed: {message}", title="Drafts · error")
        self.notify(message, title="Drafting failed", severity="error", timeout=10)

    # ---- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        has_drafts = bool(self.view and self.view.candidates)
        if action in ("accept", "cycle", "copy", "deeper", "send"):
            return None if self.generating or not is_open(self.view) or not has_drafts else True
        if action in ("edit", "reject"):
            return None if self.generating or not is_open(self.view) else True
        if action == "regenerate":
            item = self._item(self.thread_id)
            return None if self.generating or item is None or item.excluded else True
        return True

    def _copy(self, text: str) -> str:
        """Copy to the clipboard (OSC 52) and to a file, for terminals that ignore OSC 52."""
        self.app.copy_to_clipboard(text)
        path = write_atomic(self.ctx.settings.data_dir / CLIPBOARD_FILE, text + "\n")
        return f"Copied to the clipboard (also in {path})."

    def action_accept(self) -> None:
        view, index, text = self.view, self.selected, self._selected_text()
        if view is None or text is None or self._moved_on(view):
            return
        copied = self._copy(text)
        self.autosave.discard(view.chain_id, view.step)
        self.start_job(ChainJob(
            "recorded · pre-drafting the next reply" if view.step + 1 < view.depth else "recording",
            lambda chain, on_token, cancel: chain.resume(view.chain_id, "accept", chosen_index=index,
                                                         on_token=on_token, cancel=cancel, shown=view.version),
            done=f"Accepted #{index + 1}. {copied} predraft sends nothing: paste it in your chat app.",
        ))

    def action_edit(self) -> None:
        view = self.view
        if view is None or not is_open(view):
            return
        saved = self.autosave.load(view.chain_id, view.step)
        self._open_editor(saved.text if saved else (self._selected_text() or ""))

    def _open_editor(self, text: str) -> None:
        view, index = self.view, self.selected if self.view and self.view.candidates else None
        assert view is not None

        def autosave(current: str) -> None:
            self.autosave.save(view.chain_id, view.step, view.thread_id, current, index)

        def edited(result: str | None) -> None:
            if result is None:
                if self.autosave.load(view.chain_id, view.step):
                    self.notify("Your edit is kept as a draft: e reopens it.")
                return
            if self._moved_on(view):  # the autosave keeps the text, for `e` if the step is still open
                return
            copied = self._copy(result)
            self.start_job(ChainJob(
                "edit recorded · pre-drafting the next reply" if view.step + 1 < view.depth else "recording the edit",
                lambda chain, on_token, cancel: chain.resume(view.chain_id, "edit", text=result, chosen_index=index,
                                                             on_token=on_token, cancel=cancel, shown=view.version),
                done=f"Edit saved. {copied}",
            ))
            self.autosave.discard(view.chain_id, view.step)

        self.app.push_screen(EditScreen(text, f"Edit the reply · step {view.step + 1}", autosave), edited)

    def action_regenerate(self) -> None:
        view = self.view
        if view is None or not (is_open(view) or view.status == "stalled"):
            self.start_chain()
            return
        self.autosave.discard(view.chain_id, view.step)
        self.start_job(ChainJob(
            "drafting again",
            lambda chain, on_token, cancel: chain.resume(view.chain_id, "regenerate", on_token=on_token, cancel=cancel,
                                                         shown=view.version),
        ))

    def action_reject(self) -> None:
        view = self.view
        if view is None or not is_open(view):
            return
        self.autosave.discard(view.chain_id, view.step)
        self.start_job(ChainJob(
            "recording the rejection",
            lambda chain, on_token, cancel: chain.resume(view.chain_id, "reject", on_token=on_token, cancel=cancel,
                                                         shown=view.version),
            done="Rejected: recorded; `predraft feedback stats` counts it against this confidence.",
        ))

    def action_cycle(self) -> None:
        if self.view and self.view.candidates:
            self.selected = cycle(self.selected, len(self.view.candidates))
            self.query_one(DraftsPanel).select(self.selected)

    def action_next_pending(self) -> None:
        item = next_pending(self.items, self.thread_id)
        if item is None:
            self.notify("No other thread has drafts waiting.")
            return
        self.open_thread(item.id)

    def action_deeper(self) -> None:
        view, index = self.view, self.selected
        if view is None or not view.candidates:
            return
        if view.step + 1 >= view.depth:
            self.notify(f"This chain ends at depth {view.depth}: `predraft review --depth {view.depth + 1}` "
                        "drafts further ahead in new chains.")
            return
        self.start_job(ChainJob(
            f"assuming you send #{index + 1} · predicting the answer",
            lambda chain, on_token, cancel: chain.resume(view.chain_id, "accept", chosen_index=index, reviewed=False,
                                                         on_token=on_token, cancel=cancel, shown=view.version),
        ))

    def action_copy(self) -> None:
        text = self._selected_text()
        if text is not None:
            self.notify(self._copy(text))

    def action_send(self) -> None:
        """Hand the selected draft (or this step's saved edit) to the thread's live source, once the user says yes."""
        view = self.view
        if (why := undeliverable(view)) is not None:
            self.notify(f"Not sent: {why}.", severity="warning")
            return
        assert view is not None
        if self._moved_on(view):
            return
        saved = self.autosave.load(view.chain_id, view.step)
        choice: int | str = saved.text if saved else self.selected
        text = saved.text if saved else view.candidates[self.selected].text
        thread = self.corpus.thread(view.thread_id)
        try:  # the dialog below is the confirmation the source would otherwise ask for itself
            source = thread_source(self.corpus, self.ctx.settings.data_dir, view.thread_id, lambda *_: True)
        except LiveError as exc:
            self.notify(str(exc), title="Not sent", severity="error", timeout=10)
            return
        if source is None:
            self.notify(FROM_EXPORT, title="Not sent")
            return
        if (refused := source.refusal(thread)) is not None:
            self._let_go(source)
            self.notify(refused, title="Not sent", severity="warning", timeout=10)
            return

        def answered(yes: bool | None) -> None:
            if not yes or self._moved_on(view):  # the dialog was open while watch may have answered the step
                self._let_go(source)
                self.notify("Not sent.")
                return
            self.start_job(ChainJob(
                "sending · then pre-drafting the next reply" if view.step + 1 < view.depth else "sending",
                partial(self._deliver, source, view, choice),
            ))

        self.app.push_screen(ConfirmScreen("Send", text, source.question(thread)), answered)

    def _deliver(self, source: LiveSource, view: ChainView, choice: int | str, chain: DraftChain,
                 on_token: OnToken, cancel: threading.Event) -> ChainView:
        """In the worker: deliver, then record (live.accept). A refused delivery records nothing."""
        try:
            where = accept(chain, source, view, choice, on_token=on_token, cancel=cancel)
        except LiveError as refused:
            self.call_from_worker(partial(self.notify, str(refused), title="Not sent", severity="error", timeout=10))
            return view
        except ChainChangedError as changed:  # raised by the recording, so the text did go out
            self.call_from_worker(partial(self.notify, "Sent, but another predraft process answered this step "
                                          "first, so the send is not recorded.", title="Sent", severity="warning"))
            return changed.view
        finally:
            source.close()
        self.autosave.discard(view.chain_id, view.step)
        self.call_from_worker(partial(self.notify, f"{where[:1].upper()}{where[1:]}; recorded as your answer.",
                                      title="Delivered"))
        return chain.view(view.chain_id)

    def _let_go(self, source: LiveSource) -> None:
        # In a thread: a Matrix source closes its own asyncio loop, which cannot run inside Textual's.
        self.run_worker(source.close, thread=True, group="live-source")

    def action_cancel(self) -> None:
        if self.cancel_job():
            self.query_one(DraftsPanel).progress("cancelling…")
        elif isinstance(self.focused, Input):
            self.remove_class("-threads-open")
            self.query_one(DraftsPanel).focus()

    def action_search(self) -> None:
        self.add_class("-threads-open")  # on a narrow terminal the list is folded away until asked for
        self.query_one(ThreadList).focus_search()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen("Review keys", self.BINDINGS, self.ABOUT))
