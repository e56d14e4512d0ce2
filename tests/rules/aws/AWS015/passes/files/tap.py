#!/usr/bin/env python
from cdktf import App

from lib.tap_stack import TapStack, WestStack

app = App()
TapStack(app, "TapStackdev")
WestStack(app, "TapStackdevWest")
app.synth()
