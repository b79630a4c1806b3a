"""Commands of the training stage: dataset build, train, export, eval, and feedback export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.columns import Columns
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
from rich.table import Table

from assistant.cli.app import TRAIN, app, console, console_err, feedback_app, override, state
from assistant.cli.progress import show_progress
from assistant.config import Settings
from assistant.privacy import PrivacyPolicy
from training.profiles import PROFILES

PROFILE_HELP = "Training profile: " + "; ".join(f"[bold]{p.name}[/]: {p.summary}" for p in PROFILES.values())

dataset_app = typer.Typer(help="Training data from your corpus and review feedback.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset", rich_help_panel=TRAIN)


@dataset_app.command("build")
def dataset_build(
    name: Annotated[str | None, typer.Option(help="Folder under <data dir>/datasets \\[default: dataset.name].")] = None,
    split: Annotated[str | None, typer.Option(help="time: the latest turns validate; random: seeded draw of whole "
                                              "conversations \\[default: dataset.split].")] = None,
    val_fraction: Annotated[float | None, typer.Option(help="Share of turns held out \\[default: dataset.val_fraction].")] = None,
    gap_hours: Annotated[float | None, typer.Option(help="Silence that starts a new conversation "
                                                    "\\[default: dataset.conversation_gap_hours].")] = None,
    context_tokens: Annotated[int | None, typer.Option(help="Context budget per example "
                                                       "\\[default: dataset.context_tokens].")] = None,
    media: Annotated[str | None, typer.Option(help="placeholder or drop photos/voice notes in context "
                                              "\\[default: dataset.media].")] = None,
    min_examples: Annotated[int | None, typer.Option(help="Fail below this many \\[default: dataset.min_examples].")] = None,
    feedback: Annotated[bool, typer.Option(help="Add accepted/edited drafts from `predraft review`.")] = True,
) -> None:
    """Build the training dataset: one example per turn you wrote, in the exact prompt format drafts use.

    Reads the corpus through the privacy policy (excluded contacts and PII never get in), keeps
    each example's context inside its conversation, and holds out the latest conversations for
    validation. Writes OpenAI-style messages JSONL, Axolotl input_output JSONL, a Hugging Face
    dataset and summary.json to <data dir>/datasets/NAME.
    """
    from training.dataset import build_dataset, dataset_dir, write_dataset
    from training.feedback_export import usable_decisions

    override("dataset", name=name, split=split, val_fraction=val_fraction, conversation_gap_hours=gap_hours,
             context_tokens=context_tokens, media=media, min_examples=min_examples)
    settings = state.settings()
    with state.corpus() as corpus, show_progress() as progress:
        progress.add_task("reading the corpus through the privacy policy", total=None)
        policy = PrivacyPolicy.from_settings(settings)
        decisions = usable_decisions(settings.feedback_path, corpus, policy, settings.dataset.gap) if feedback else []
        build = build_dataset(corpus, settings, decisions)
        summary = write_dataset(build, dataset_dir(settings, settings.dataset.name))
    _print_summary(summary, dataset_dir(settings, settings.dataset.name))


def _print_summary(summary: dict, folder: Path) -> None:
    ex = summary["examples"]
    cut = summary["split"]["cut"]
    console.print(f"[bold]{ex['train']}[/] training and [bold]{ex['val']}[/] validation examples "
                  f"({ex['feedback_in_train']} from review feedback) from {summary['threads']} threads"
                  + (f"; validation starts {cut[:10]}" if cut else "") + f" → {folder}")
    removed = Table("filter", "turns removed", title="filters")
    for name, n in summary["removed"].items():
        removed.add_row(name, str(n))
    years = sorted(set(summary["per_year"]["train"]) | set(summary["per_year"]["val"]))
    per_year = Table("year", "train", "val", title="per year")
    for year in years:
        per_year.add_row(year, str(summary["per_year"]["train"].get(year, 0)), str(summary["per_year"]["val"].get(year, 0)))
    tokens = Table("tokens (≈)", "p50", "p90", "p99", "max", title=summary["tokens"]["approximation"])
    for part in ("prompt", "target"):
        t = summary["tokens"][part]
        tokens.add_row(part, *(str(t.get(k, "-")) for k in ("p50", "p90", "p99", "max")))
    console.print(Columns([removed, per_year, tokens]))


@feedback_app.command("export")
def feedback_export(
    out: Annotated[Path | None, typer.Option(help="Folder for sft.jsonl and preference.jsonl "
                                             "\\[default: <data dir>/feedback-export].")] = None,
) -> None:
    """Export review decisions: sft.jsonl (accepted/edited drafts, OpenAI messages) and preference.jsonl
    (prompt/chosen/rejected pairs for DPO: what you sent vs the draft you edited, or vs the top draft you
    rejected once the thread shows what you sent instead).

    Decisions pass the privacy policy as it is now: those in threads of contacts excluded since are
    left out (or their lines withheld, in redact mode), and PII is redacted. `predraft dataset build`
    already adds the SFT examples, capped by dataset.human_to_feedback_ratio.
    """
    from training.feedback_export import EXPORT_DIR, usable_decisions, write_feedback_export

    settings = state.settings()
    with state.corpus() as corpus:
        decisions = usable_decisions(settings.feedback_path, corpus, PrivacyPolicy.from_settings(settings),
                                     settings.dataset.gap)
    result = write_feedback_export(decisions, out or settings.data_dir / EXPORT_DIR)
    console.print(f"{result.sft} SFT examples → {result.sft_path}\n{result.pairs} preference pairs → {result.preference_path}")


@app.command(rich_help_panel=TRAIN)
def train(
    profile: Annotated[str | None, typer.Option(help=PROFILE_HELP + " \\[default: train.profile].")] = None,
    steps: Annotated[int | None, typer.Option(help="Training steps (the profile's own by default).")] = None,
    wandb: Annotated[bool | None, typer.Option("--wandb/--no-wandb", help="Log to Weights & Biases "
                                               "(needs network) \\[default: train.wandb].")] = None,
    run: Annotated[str | None, typer.Option("--run", help="Run name; an interrupted run of that name resumes "
                                            "from its last checkpoint.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the latest unfinished run from its last "
                                         "checkpoint.")] = False,
    dataset: Annotated[str | None, typer.Option(help="Dataset name \\[default: dataset.name].")] = None,
    setup_only: Annotated[bool, typer.Option(help="Only create the Axolotl environment (~4 GB), then stop.")] = False,
    config_only: Annotated[bool, typer.Option(help="Write the run folder (Axolotl YAML + data) without training: "
                                              "for GPU profiles, to run elsewhere.")] = False,
) -> None:
    """Train your LoRA with Axolotl (in its own environment, created on first use).

    The run folder <data dir>/runs/RUN holds the Axolotl YAML, the data, checkpoints, the adapter
    and train.log. Ctrl-C stops training, keeping the last checkpoint (one every tenth of the run);
    `predraft train --resume` continues from it. Then `predraft export` and `predraft eval`.
    """
    from assistant.cli.progress import duration
    from training.axolotl import Metrics, Progress as Step, new_run_name, resumable_run
    from training.pipeline import TrainRequest, profile_named, setup, train as run_training

    override("train", profile=profile, wandb=wandb)
    override("dataset", name=dataset)
    settings = state.settings()
    if setup_only:
        with show_progress() as spinner:
            task = spinner.add_task("checking the Axolotl environment", total=None)
            venv = setup(settings, lambda line: spinner.update(task, description=line[:100]))
        console.print(f"Axolotl environment ready: {venv}")
        return
    if resume and not run:
        run = resumable_run(settings.runs_dir).name
    name = run or new_run_name(profile_named(settings.train.profile))
    req = TrainRequest(settings.train.profile, settings.dataset.name, steps=steps, wandb=settings.train.wandb,
                       run_name=name, config_only=config_only)
    bar = show_progress(BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[eta]}"),
                        TextColumn("{task.fields[loss]}"))
    losses: dict[str, float] = {}

    def on_event(event) -> None:
        if isinstance(event, Step):
            eta = "" if event.remaining is None else f"ETA {duration(event.remaining)}"
            bar.update(task, description="training", completed=event.step, total=event.total, eta=eta)
        elif isinstance(event, Metrics):
            losses.update({k: v for k, v in event.values.items() if k in ("loss", "eval_loss")})
            bar.update(task, loss=" ".join(f"{k} {v:.3f}" for k, v in losses.items()))
        else:
            bar.update(task, description=event[:60])

    with bar:
        task = bar.add_task("preparing", total=None, eta="", loss="")
        try:
            outcome = run_training(settings, req, lambda line: bar.update(task, description=line[:60]), on_event)
        except KeyboardInterrupt:
            bar.stop()
            console_err.print(f"[yellow]interrupted[/]: `predraft train --resume` (or `--run {name}`) continues "
                              "from the last checkpoint")
            raise typer.Exit(130) from None
    if outcome.metrics is None:
        checked = ("Axolotl validated it: " + ", ".join(f"{k}={v}" for k, v in outcome.validated.items() if v is not None)
                   if outcome.validated else "Axolotl is not installed here, so it was not validated.")
        console.print(f"Run folder written: {outcome.run.folder}\n{checked}\nOn a GPU machine with Axolotl: "
                      f"cd {outcome.run.folder} && axolotl train axolotl.yaml")
        return
    evals = outcome.run.info().get("eval_losses", [])
    trend = f"; eval loss {evals[0]:.3f} → {evals[-1]:.3f}" if len(evals) > 1 else ""
    # Only a run on the served GGUF's weights can become a llama.cpp LoRA (cpu-smoke's base is random).
    follow_up = ("Next: `predraft export`, then `predraft eval`." if outcome.run.info().get("base_gguf_sha256")
                 else "This profile only checks the pipeline: `predraft train --profile gemma3-270m-cpu` trains "
                      "a LoRA that llama.cpp serves.")
    console.print(f"Trained [bold]{outcome.run.name}[/]{' (resumed)' if outcome.resumed else ''}: "
                  f"adapter in {outcome.run.output}{trend}. {follow_up}")


@app.command(rich_help_panel=TRAIN)
def export(
    run: Annotated[str | None, typer.Argument(help="Run name \\[default: the latest run].")] = None,
    merged: Annotated[bool, typer.Option(help="Also write a full GGUF with the LoRA folded in.")] = False,
    activate: Annotated[bool, typer.Option(help="Set model.lora_path in your predraft.toml so "
                                           "`predraft draft` uses it.")] = True,
) -> None:
    """Export a trained adapter as a GGUF LoRA for llama.cpp (the base GGUF stays as it is).

    The export records the sha256 of the base model it was trained on; llama.cpp users can also
    apply it with `--lora <run>/export/lora.gguf`.
    """
    from training.pipeline import export as run_export

    with show_progress() as progress:
        progress.add_task("writing the GGUF LoRA" + (" and the merged model" if merged else ""), total=None)
        result, config = run_export(state.settings(), run, merged, activate)
    console.print(f"LoRA ({result.tensors} tensor pairs) → {result.lora}" + (f"\nmerged model → {result.merged}" if result.merged else ""))
    console.print(f"model.lora_path set in {config}: `predraft draft` now uses it" if config
                  else f"Use it with: predraft draft THREAD (after setting model.lora_path = \"{result.lora}\")")


@app.command("eval", rich_help_panel=TRAIN)
def evaluate(
    run: Annotated[str | None, typer.Argument(help="Run name \\[default: the latest run].")] = None,
    limit: Annotated[int | None, typer.Option(help="Validation examples to draft for \\[default: train.eval_limit].")] = None,
    candidates: Annotated[int, typer.Option(help="Drafts per short reply, for ExactMatch@3.")] = 3,
) -> None:
    """Compare what you would get (the product: drafting as `predraft draft` does, with this LoRA) with
    each part alone: base model, your LoRA, and retrieval-only, on the validation split.

    Writes report.md, report.json and plots to <run>/eval: perplexity of your real replies,
    ExactMatch@1/@3 on short replies, embedding cosine, chrF, style distance, saved keystrokes, the
    share of drafts an authorship judge attributes to you (against your real replies and others'), and
    failure rates (echoes, degenerate drafts, wrong speaker, odd length).
    """
    override("train", eval_limit=limit)
    settings = state.settings()
    evaluate_and_show(settings, run, settings.train.eval_limit, candidates)


def evaluate_and_show(settings: Settings, run: str | None, limit: int, candidates: int) -> None:
    """Evaluate a run with a progress bar; print the table of systems and where the report is."""
    from graphs.predraft.replay import top_drafts
    from training.evaluate import REAL, ROWS, SYSTEMS, fmt
    from training.pipeline import evaluate as run_eval

    with show_progress(MofNCompleteColumn()) as progress:
        task = progress.add_task("drafting", total=3 * limit)

        def step(system: str) -> None:
            progress.update(task, advance=1, description=f"drafting ({system})")

        rep, folder = run_eval(settings, run, limit, candidates, step,
                               lambda backend, rows: top_drafts(settings, backend, rows, lambda: step("product")))
    table = Table("metric", REAL, *SYSTEMS, title=f"eval of {rep['run']['run']} on {limit} validation turns")
    for key in ROWS:
        real = rep["real"].get(key) if key in ("judge_attribution", "mean_chars") else None
        table.add_row(key, fmt(real), *(fmt(rep["overall"][s].get(key)) for s in SYSTEMS))
    table.add_row("any failure", fmt(rep["real"]["failures"].get("any")),
                  *(fmt(rep["overall"][s].get("failures", {}).get("any")) for s in SYSTEMS))
    console.print(table)
    judge = rep["judge"]
    console.print(f"The judge attributes to you {judge['ceiling']:.0%} of your real replies and {judge['floor']:.0%} "
                  f"of others' lines (balanced accuracy {judge['balanced_accuracy']:.2f}). "
                  f"Report: {folder / 'report.md'}")
