"""predraft's tests. A package so that `tests.worlds` imports the same way from every test folder."""
