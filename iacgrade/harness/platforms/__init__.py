"""Platforms are plug-ins: each knows how to turn an answer's files into a runnable project.

Adding a platform (CDKTF TypeScript, Terraform HCL, ...) means adding a subpackage here with a
`Platform` (base.py) and listing it in `registry.registered()`; the pipeline asks
`registry.platform_for(metadata)`.
"""
