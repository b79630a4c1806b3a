"""Constants the CLI tests share (conftest.py holds the fixtures)."""

import sys
from pathlib import Path

PREDRAFT = Path(sys.executable).parent / "predraft"  # the installed script, for exit codes and tracebacks

# Messages in each bundled demo export, as `ingest` reports them (seen = added on a first import).
DEMO_MESSAGES = {
    "Direct Messages - Jordan Lee [1098765432109876543].json": 122,
    "WhatsApp Chat with Climbing Crew.txt": 167,
    "WhatsApp Chat with Maya Chen.txt": 572,
    "telegram_sam": 290,
}
