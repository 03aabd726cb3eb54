"""The states of a case (one client × product × period) and of its stages; pure vocabulary.

The life of a case:

    planned ──(bulk-start / manual start)──┐
    blocked ──(data fixed, next planning)──┤   (a template with start mode on_creation skips `planned`)
                                           ▼
    waiting_for_return ──(matching: return tied to the case)──▶ return_received
    return_received ──(routing: first stage assigned)──▶ in_progress (current_stage set)
    in_progress ──(last stage done)──▶ with_client ──(approved / signed)──▶ approved
    approved ──(claimed; our delivery reference committed)──▶ submitting ──(kenmerk stored)──▶ submitting
    submitting ──(status 500)──▶ submitted ──(close_automatically, or `case close`)──▶ closed
    submitting ──(delivery fault / final Digipoort error / 420 past 72 h)──▶ submission_failed
    submission_failed ──(`submissions resubmit`)──▶ approved
    any open state ──(not needed after all)──▶ cancelled

Planning only ever writes the first three (NOT_STARTED); later issues own the rest.
"""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    """Where a case stands; stored on the case."""

    PLANNED = "planned"  # created; a manual-start template waits for a person (or bulk-start) to start it
    BLOCKED = "blocked"  # the client is not ready (readiness reasons on the case); planning unblocks it
    WAITING_FOR_RETURN = "waiting_for_return"  # started; waits for the source package's return
    RETURN_RECEIVED = "return_received"  # a return is matched to it; routing moves it into its first stage
    IN_PROGRESS = "in_progress"  # in one of the template's stages (current_stage)
    WITH_CLIENT = "with_client"  # put to the client for approval, signing or information
    APPROVED = "approved"  # the client approved the exact document; ready to submit
    # Claimed for Digipoort: the delivery row with our reference is committed before the call; the
    # kenmerk after it. Without a kenmerk it is never sent again automatically (a person checks).
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"  # Digipoort reported 500: the tax authority processed it
    SUBMISSION_FAILED = "submission_failed"  # Digipoort reported a final error; a person must act
    CLOSED = "closed"  # done
    CANCELLED = "cancelled"  # not needed after all (e.g. the subscription ended)


# The states planning may (re)judge: no work has been done on the case yet, so blocking or
# unblocking it loses nothing.
NOT_STARTED: frozenset[CaseState] = frozenset(
    {CaseState.PLANNED, CaseState.BLOCKED, CaseState.WAITING_FOR_RETURN}
)
# A return for a case in one of these states comes too late (matching's `case_closed`).
FINISHED: frozenset[CaseState] = frozenset(
    {CaseState.SUBMITTING, CaseState.SUBMITTED, CaseState.CLOSED, CaseState.CANCELLED}
)


class StageState(StrEnum):
    """Where one stage of a case stands; stored per stage (routing issue)."""

    PENDING = "pending"
    ACTIVE = "active"
    DONE = "done"
    SKIPPED = "skipped"
