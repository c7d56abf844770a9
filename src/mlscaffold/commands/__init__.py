"""One module per ``mlscaffold`` command; each imports heavy libraries only when it runs."""
