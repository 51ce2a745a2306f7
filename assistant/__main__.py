import os
import sys

from .cli import main

code = main()
try:
    sys.stdout.flush()
except BrokenPipeError:  # the reader of a pipe left before the last of the output: say nothing
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
sys.exit(code)
