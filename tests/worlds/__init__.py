"""Synthetic worlds: fictional people and their chats, for tests. Import them as `tests.worlds.<name>`.

| world | who | for |
|---|---|---|
| `tiny` | Alex; Maya asks about dinner, Sam about the match | graph unit tests (scripted doubles) |
| `graph` | Alex with Maya, Jonas and Priya (excluded), 2021-2024, with a config | graph integration tests |
| `retrieval` | Sam with Maya, Jonas, a climbing group and Priya | index tests |
| `privacy` | Alex Rivera; Jordan Lee (excluded) under two names on two platforms | consent and redaction |
| `consent` | Alex Rivera before and after Jordan Lee is excluded; PII in Maya's chat | clearing derived stores |
| `training` | Sam Carter over two years; Victor Hale excluded | dataset and training tests |
| `chat` | one of Sam Carter's threads built in memory | training unit tests |
| `demo` | the bundled demo persona at a fixed clock | TUI tests |

`threads` turns conversations into parser events and imports them, for the worlds built that way.
"""
