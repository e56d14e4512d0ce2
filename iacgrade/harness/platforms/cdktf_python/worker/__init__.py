"""The warm synth worker (worker.py) and its run-time repairs (worker_lib/). Standard library only
at import time: both are copied into the sandbox image and run there as a script."""
