"""Commands of consent: exclude, include, list.

Excluding a contact holds at once for every read of the corpus (assistant.privacy); `consent exclude`
also clears them out of the stores built from it before, so that nothing a model, the index, a
dataset or an export reads still holds their words.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from assistant.cli.app import PEOPLE, app, console, state
from assistant.config import Settings
from assistant.corpus.store import Corpus
from assistant.privacy import Exclusions, PrivacyPolicy, exclusions, read_rules

consent_app = typer.Typer(help="Keep contacts who did not consent out of training data, the retrieval index and drafts.",
                          no_args_is_help=True)
app.add_typer(consent_app, name="consent", rich_help_panel=PEOPLE)

NAME_HELP = "The contact's name as in the corpus."


@consent_app.command("exclude")
def consent_exclude(name: Annotated[str, typer.Argument(help=NAME_HELP)]) -> None:
    """Exclude a contact: their messages never reach training data, the retrieval index or a draft.

    Holds at once, and clears them out of what was built before: their threads' exchanges leave the
    index, stored review decisions get their lines withheld, chains and predictions holding their
    words are deleted, and so are built datasets that include them. LoRA runs trained on their
    messages are listed with the command that trains them again without.
    """
    from training.provenance import remove_text_copies, retrain_command, runs_holding

    settings = state.settings()
    with state.corpus() as corpus:
        person = corpus.set_consent(name, excluded=True)
        changes = _forget(settings, corpus)
        runs = runs_holding(settings, corpus)
    console.print(f"Excluded [bold]{person.name}[/] (mode: {settings.privacy.consent_mode}): left out of drafting, "
                  "the index and training data from now on.")
    table = Table("store", "changed", title="cleared out of what was built before", title_justify="left")
    for store, changed in changes:
        table.add_row(store, changed)
    console.print(table)
    for run, contacts in runs:
        removed = " (its copies of the training text removed)" if remove_text_copies(run) else ""
        console.print(f"LoRA run [bold]{run.name}[/] was trained on messages of {', '.join(contacts)}{removed}; "
                      f"train it again without them: {retrain_command(run)}")


def _forget(settings: Settings, corpus: Corpus) -> list[tuple[str, str]]:
    """Clear the excluded contacts out of each derived store there is; what changed, per store."""
    from assistant.feedback.store import FeedbackStore
    from training.feedback_export import EXPORT_DIR, usable_decisions, write_feedback_export
    from training.provenance import remove_datasets_holding

    excluded = exclusions(corpus)
    policy = PrivacyPolicy.from_settings(settings)
    changes = []
    if settings.index_dir.is_dir():
        from assistant.retrieval.index import ExchangeIndex  # Chroma: loaded only when there is an index

        exchange_index = ExchangeIndex(settings)
        changes.append(("index", f"{exchange_index.forget(excluded)} exchanges removed"))
    if settings.feedback_path.is_file():
        store = FeedbackStore(settings.feedback_path)
        try:
            rules = read_rules(corpus, policy)
            changes.append(("review decisions", f"{store.rewrite(lambda d: d.under(rules))} rewritten"))
        finally:
            store.close()
    if settings.checkpoints_path.is_file():
        chains, predictions, unsent = forget_chains_and_edits(settings, excluded)
        changes.append(("chains", f"{chains} deleted, with {predictions} prediction outcomes and "
                                  f"{unsent} edits in progress"))
    removed = remove_datasets_holding(settings, corpus)
    changes.append(("datasets", "removed: " + ", ".join(removed) + "; `predraft dataset build --name NAME` rebuilds one"
                    if removed else "none held them"))
    export = settings.data_dir / EXPORT_DIR
    if export.is_dir():
        result = write_feedback_export(usable_decisions(settings.feedback_path, corpus, policy, settings.dataset.gap), export)
        changes.append(("feedback export", f"written again: {result.sft} SFT examples, {result.pairs} preference pairs"))
    return changes


def forget_chains_and_edits(settings: Settings, excluded: Exclusions) -> tuple[int, int, int]:
    """Delete the chains that hold what `excluded` names, their prediction outcomes and the review's unsent
    edits in them; how many of each. Only where chains are stored (`settings.checkpoints_path`)."""
    from assistant.tui.models.autosave import EditAutosave
    from graphs.predraft.forget import forget_chains  # LangGraph: loaded only when there are chains

    chains, predictions = forget_chains(settings, excluded)
    edits = EditAutosave(settings.data_dir)
    unsent = [e for e in edits.pending() if e.chain_id in chains]
    for edit in unsent:
        edits.discard(edit.chain_id, edit.step)
    return len(chains), predictions, len(unsent)


@consent_app.command("include")
def consent_include(name: Annotated[str, typer.Argument(help=NAME_HELP)]) -> None:
    """Include a contact again."""
    with state.corpus() as corpus:
        person = corpus.set_consent(name, excluded=False)
    console.print(f"Included [bold]{person.name}[/]. `predraft index` puts their exchanges back in the index, "
                  "`predraft dataset build` their messages in training data; review decisions keep their lines "
                  "withheld.")


@consent_app.command("list")
def consent_list() -> None:
    """List excluded contacts and the mode applied to them."""
    with state.corpus() as corpus:
        excluded = [p.name for p in corpus.people() if p.consent == "exclude"]
    mode = state.settings().privacy.consent_mode
    if not excluded:
        console.print("No contact is excluded.")
    for name in excluded:
        console.print(f"{name}\texcluded ({mode})")
