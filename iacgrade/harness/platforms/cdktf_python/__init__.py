"""CDKTF in Python on the AWS provider: extraction of files from an answer, reading its source
(pysource, locate), import repairs, the project scaffold and the synth worker."""
