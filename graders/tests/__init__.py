"""TST: the answer's tests, as a reviewer judges them: run, read and compared with what the project asks."""
