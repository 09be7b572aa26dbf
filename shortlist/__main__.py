"""`python -m shortlist`."""

from .cli import main

main()
