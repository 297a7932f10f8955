"""The book's chapters, one package each: `experiment` (the study's equations, models, run
configurations and `train`), `report` (figures, tables, scorecard; never trains) and the
pieces only that chapter uses. A chapter imports nblib's core; the core never imports a chapter."""
