"""REQ: the task prompt read as a checklist of requirements, each checked on the synthesized stacks."""
