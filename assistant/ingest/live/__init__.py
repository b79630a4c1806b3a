"""Live sources: accounts followed as messages arrive (Matrix, a Maildir), beside the export parsers."""
