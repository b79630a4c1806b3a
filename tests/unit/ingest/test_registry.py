import subprocess
import sys

from assistant.ingest.registry import all_parsers


def test_every_parser_is_known_even_after_one_module_was_imported_directly():
    # A fresh interpreter: in this one, other tests have imported the parser modules already.
    code = ("import assistant.ingest.parsers.imessage\n"
            "from assistant.ingest.registry import all_parsers\n"
            "print(' '.join(all_parsers()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.split() == list(all_parsers())
    assert {"imessage", "slack", "telegram", "whatsapp"} <= set(all_parsers())
