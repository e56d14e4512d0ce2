#!/usr/bin/env python
from cdktf import App

from lib.tap_stack import TapStack, WeakStack

app = App()
TapStack(app, "TapStackdev")
WeakStack(app, "TapStackweak")
app.synth()
