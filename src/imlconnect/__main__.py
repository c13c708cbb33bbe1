"""Allow `python -m imlconnect`."""

from .cli.main import main

main()
