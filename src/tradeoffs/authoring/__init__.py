"""Authoring the course: building notebooks from their sources, nbgrader settings, the rules
that hold the catalogue and the files on disk together (`tradeoffs dev check`)."""
