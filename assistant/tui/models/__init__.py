"""What the review and chat screens show, as plain data and pure functions: no Textual imports here."""
