"""sbrflow: the recurring tax-return work of a Dutch accounting office, run on Prefect."""

__version__ = "0.1.0"
