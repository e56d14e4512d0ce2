#!/usr/bin/env python
from cdktf import App

from lib.replication import ReplicationStack
from lib.tap_stack import TapStack

app = App()
TapStack(app, "TapStackdev")
ReplicationStack(app, "replication")
app.synth()
