"""iacgrade's rule catalogue: the finding model, the registry and one module per rule family."""
