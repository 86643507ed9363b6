"""The one state machine of a feedback. Every status change in the hub asks it first."""

from __future__ import annotations

from enum import Enum


class Status(Enum):
    SUBMITTED = "SUBMITTED"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    DUPLICATE = "DUPLICATE"


class EventKind(Enum):
    SUBMITTED = "SUBMITTED"
    ASSIGNED = "ASSIGNED"
    STATUS_CHANGED = "STATUS_CHANGED"
    REPLY = "REPLY"
    RATED = "RATED"
    REOPENED = "REOPENED"


OPEN = frozenset({Status.SUBMITTED, Status.ASSIGNED, Status.IN_PROGRESS})
FINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.DUPLICATE})

# Moves a cadre of the assigned agency (or an admin) may make with transitionFeedback.
CADRE_MOVES: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.REJECTED, Status.DUPLICATE}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}),
    Status.RESOLVED: frozenset(),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.DUPLICATE: frozenset(),
}

# Moves the system or the author make: reopen, close on rating or after the waiting time.
AUTHOR_MOVES: dict[Status, frozenset[Status]] = {
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
}


def cadre_may_move(current: Status, target: Status) -> bool:
    return target in CADRE_MOVES[current]


def author_may_move(current: Status, target: Status) -> bool:
    return target in AUTHOR_MOVES.get(current, frozenset())


def is_open(status: Status) -> bool:
    return status in OPEN
