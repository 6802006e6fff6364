"""`python -m lrs` is the `lrs` command."""

from lrs.cli import main

main()
