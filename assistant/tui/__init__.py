"""The terminal UI: `predraft review` (drafts, evidence, the predicted chain) and `predraft chat`.

`app.py` builds both apps for the CLI and the tests alike; `context.py` is what every screen is given
(settings, clock, timezone); `models/` holds the state they show as plain data (no Textual there);
`screens/` and `widgets/` are one class per file, CSS beside it.
"""
