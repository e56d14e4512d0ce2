"""How far a run agrees with the reviewers' written analyses: parsing them (written) and matching
them to failures (calibrate)."""
