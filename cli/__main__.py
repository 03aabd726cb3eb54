"""`python -m sbrflow.cli`: the same as the `sbrflow` command."""

from sbrflow.cli.main import main

main()
