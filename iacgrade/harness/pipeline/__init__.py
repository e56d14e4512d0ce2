"""Grading one task: synth both sides, run the rules, compare, merge, score (grade.py drives it)."""
