"""Privacy lifecycle: the data classification register, rights of access, retention (issue 5)."""
