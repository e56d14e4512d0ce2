"""Adapters that let other tools grade with iacgrade; each needs an extra (`iacgrade[inspect]`)."""
