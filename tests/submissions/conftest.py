"""The fake class is data for tests/test_grade.py: never collect its notebooks (nbval would run
a notebook that loops forever and one that kills its kernel)."""
collect_ignore_glob = ["*"]
