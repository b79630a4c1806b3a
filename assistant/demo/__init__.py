"""Bundled sample exports of a fictional user, for `predraft demo` and for tests.

Alex Rivera writes under a different name on each platform, so the demo also shows `me set --alias`;
Jordan Lee did not consent to being used, so the demo excludes them.
"""

from pathlib import Path

SAMPLES_DIR = Path(__file__).parent / "data"
DEMO_ME = "Alex Rivera"
DEMO_ALIASES = ("Alex R", "alexr")
DEMO_EXCLUDED = "Jordan Lee"
