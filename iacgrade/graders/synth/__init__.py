"""Rules on the synth outcome: SYN (the answer failed or never ran) and ENV (the sandbox stopped it)."""
