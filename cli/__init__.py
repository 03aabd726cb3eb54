"""The `sbrflow` command line: a thin entrypoint over the task layer (parse, call, print).

Each area has its own module cli/<area>.py, registered in cli/main.py.
"""
