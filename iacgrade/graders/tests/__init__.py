"""TST: what a reviewer writes about an answer's tests: its unit tests run in the sandbox after
synth (TST002), and its files read statically (the prompt, the test modules, the stacks' outputs):
tests the task expects but the answer does not ship, tests that check nothing, integration tests
that do not test the deployment, test modules that cannot be collected."""
