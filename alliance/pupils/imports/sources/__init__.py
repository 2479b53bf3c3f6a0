"""One module per kind of roster file: each turns the file into a ``ParsedFile``."""
