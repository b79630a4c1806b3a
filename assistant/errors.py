"""One base for errors meant for the user: the CLI prints them as a message, never a traceback."""


class PredraftError(Exception):
    """Bad input or a missing prerequisite, worded to say what to do next."""
