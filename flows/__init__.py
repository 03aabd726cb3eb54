"""Prefect flows. Importing them ties Prefect's temporary API server to this process (see ephemeral.py)."""

from sbrflow.flows.ephemeral import tie_ephemeral_server_to_this_process

tie_ephemeral_server_to_this_process()
