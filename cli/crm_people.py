"""`sbrflow crm note …`, `crm follow-up …`, `crm add-person`, `crm merge-persons`, `crm delete-person`.

Thin: each command calls one task-layer function (tasks/crm_notes.py, tasks/crm_followups.py,
tasks/crm_persons.py) and prints. Not found: exit 2; refused (with what to fix): exit 1.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from sbrflow.cli.errors import domain_errors as _errors

note_app = typer.Typer(help="Notes on a client or person: add, edit (history kept), list, show.",
                       no_args_is_help=True)
follow_up_app = typer.Typer(help="Follow-ups (signaleringen): reminders that land in a member's work list.",
                            no_args_is_help=True)

ClientOpt = Annotated[str | None, typer.Option("--client", help="Client number.")]
PersonOpt = Annotated[str | None, typer.Option("--person", help="Contact number of the person.")]
By = Annotated[str, typer.Option("--by", help="Your team member code.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]




def _dump(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _about(item: dict) -> str:
    about = item["about"]
    return f"{about['kind']} {about['number']} {about['name'] or ''}".rstrip()


# ---------------------------------------------------------------- notes

def _note_line(n: dict) -> str:
    marks = "".join(mark for flag, mark in ((n["pinned"], "[pinned] "), (n["show_in_cases"], "[in cases] ")) if flag)
    return (f"#{n['id']:<5} {marks}{n['title']}  ({n['priority']}; {n['author']} {n['created_at'][:16]}"
            + (f", v{n['version']} by {n['updated_by']} {n['updated_at'][:16]}" if n["version"] > 1 else "") + ")")


@note_app.command("add")
def note_add(
    title: Annotated[str, typer.Option("--title", help="Short title.")],
    text: Annotated[str, typer.Option("--text", help="The note.")],
    by: By,
    client: ClientOpt = None,
    person: PersonOpt = None,
    priority: Annotated[str, typer.Option("--priority", help="low, normal or high.")] = "normal",
    in_cases: Annotated[bool, typer.Option("--in-cases", help="Show it on the client's cases.")] = False,
    pinned: Annotated[bool, typer.Option("--pinned", help="Pin it: pinned notes come first.")] = False,
    as_json: AsJson = False,
) -> None:
    """Add a note to a client (--client) or a person (--person)."""
    from sbrflow.tasks.crm_notes import add_note

    with _errors():
        note = add_note(client=client, person=person, title=title, text=text, priority_=priority,
                        show_in_cases=in_cases, pinned=pinned, by=by)
    if as_json:
        _dump(note)
        return
    typer.echo(f"note {note['id']} added to {_about(note)}")


@note_app.command("edit")
def note_edit(
    note_id: Annotated[int, typer.Argument(help="The note's id.")],
    by: By,
    title: Annotated[str | None, typer.Option("--title")] = None,
    text: Annotated[str | None, typer.Option("--text")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="low, normal or high.")] = None,
    in_cases: Annotated[bool | None, typer.Option("--in-cases/--not-in-cases",
                                                  help="Show it on the client's cases, or not.")] = None,
    pinned: Annotated[bool | None, typer.Option("--pinned/--unpinned")] = None,
) -> None:
    """Edit a note; the earlier version stays in its history (`crm note show`)."""
    from sbrflow.tasks.crm_notes import edit_note

    with _errors():
        note = edit_note(note_id, by=by, title=title, text=text, priority_=priority, show_in_cases=in_cases,
                         pinned=pinned)
    if note["changed"]:
        typer.echo(f"note {note['id']}: version {note['version']} ({', '.join(note['changed'])} changed)")
    else:
        typer.echo(f"note {note['id']}: unchanged (version {note['version']})")


@note_app.command("list")
def note_list(client: ClientOpt = None, person: PersonOpt = None, as_json: AsJson = False) -> None:
    """The notes of a client or person, pinned first, then the most recently changed."""
    from sbrflow.tasks.crm_notes import list_notes

    with _errors():
        notes = list_notes(client=client, person=person)
    if as_json:
        _dump(notes)
        return
    for n in notes:
        typer.echo(_note_line(n))
    typer.echo(f"{len(notes)} notes")


@note_app.command("show")
def note_show(note_id: Annotated[int, typer.Argument(help="The note's id.")], as_json: AsJson = False) -> None:
    """A note with its whole history."""
    from sbrflow.tasks.crm_notes import show_note

    with _errors():
        note = show_note(note_id)
    if as_json:
        _dump(note)
        return
    typer.echo(f"{_note_line(note)} on {_about(note)}")
    typer.echo(note["text"])
    for v in note["history"]:
        typer.echo(f"  v{v['version']} {v['saved_at'][:16]} {v['saved_by']}: {v['title']} ({v['priority']}"
                   f"{', pinned' if v['pinned'] else ''}{', in cases' if v['show_in_cases'] else ''})")


# ---------------------------------------------------------------- follow-ups

def follow_up_line(f: dict) -> str:
    """One follow-up as `work list` and `crm follow-up list` print it."""
    when = f["due_on"] + (f" {f['due_time']}" if f["due_time"] else "")
    state = "" if f["open"] else f"  done by {f['done_by']} {f['done_at'][:16]}"
    return f"{when:16}  follow-up {f['follow_up_id']:>5}  {_about(f)[:40]:40}  {f['title']}  → {f['assigned_to']}{state}"


@follow_up_app.command("add")
def follow_up_add(
    title: Annotated[str, typer.Option("--title", help="What to do.")],
    on: Annotated[str, typer.Option("--on", help="The date (YYYY-MM-DD) it lands in the work list.")],
    to: Annotated[str, typer.Option("--to", help="Code of the team member it is for.")],
    by: By,
    client: ClientOpt = None,
    person: PersonOpt = None,
    at: Annotated[str | None, typer.Option("--at", help="A time of day (HH:MM).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="More text.")] = None,
    as_json: AsJson = False,
) -> None:
    """Add a follow-up on a client or person for a team member, due on a date."""
    from sbrflow.tasks.crm_followups import add_follow_up

    with _errors():
        item = add_follow_up(client=client, person=person, title=title, on=on, at=at, to=to, by=by, note=note)
    if as_json:
        _dump(item)
        return
    typer.echo(f"follow-up {item['follow_up_id']} for {item['assigned_to']} on {item['due_on']}: {_about(item)}")


@follow_up_app.command("done")
def follow_up_done(follow_up_id: Annotated[int, typer.Argument(help="The follow-up's id.")], by: By) -> None:
    """Mark a follow-up done: it leaves the work list."""
    from sbrflow.tasks.crm_followups import mark_done

    with _errors():
        item = mark_done(follow_up_id, by=by)
    typer.echo(f"follow-up {item['follow_up_id']} done by {item['done_by']}")


@follow_up_app.command("list")
def follow_up_list(
    member: Annotated[str | None, typer.Option("--member", help="Only this team member's.")] = None,
    client: ClientOpt = None,
    person: PersonOpt = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also the ones done.")] = False,
    as_json: AsJson = False,
) -> None:
    """Open follow-ups (or --all) of a member, a client or a person, by date."""
    from sbrflow.tasks.crm_followups import list_follow_ups

    with _errors():
        items = list_follow_ups(member_code=member, client=client, person=person, include_done=show_all)
    if as_json:
        _dump(items)
        return
    for f in items:
        typer.echo(follow_up_line(f))
    typer.echo(f"{len(items)} follow-ups")


# ---------------------------------------------------------------- persons

def add_person_command(
    by: By,
    first_name: Annotated[str | None, typer.Option("--first-name")] = None,
    last_name: Annotated[str | None, typer.Option("--last-name")] = None,
    initials: Annotated[str | None, typer.Option("--initials")] = None,
    name_prefix: Annotated[str | None, typer.Option("--name-prefix", help="Tussenvoegsel, e.g. de.")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    birth_date: Annotated[str | None, typer.Option("--birth-date", help="YYYY-MM-DD.")] = None,
    bsn: Annotated[str | None, typer.Option("--bsn", help="Never printed; compared only.")] = None,
    phone: Annotated[str | None, typer.Option("--phone")] = None,
    client: Annotated[str | None, typer.Option("--client", help="Link the person to this client.")] = None,
    function: Annotated[str | None, typer.Option("--function", help="Their function there: DGA, directeur…")] = None,
    force: Annotated[bool, typer.Option("--force", help="Create even when the person probably exists.")] = False,
    use: Annotated[str | None, typer.Option("--use", metavar="CONTACT_NUMBER",
                                            help="Link this existing person to --client instead.")] = None,
    contact_number: Annotated[str | None, typer.Option(
        "--contact-number", help="The number from the office's package; default the next S-number.")] = None,
    as_json: AsJson = False,
) -> None:
    """Create a person; warns and creates nothing when they probably exist (same e-mail, name and date of
    birth, or BSN) unless --force; --use CONTACT_NUMBER links the existing one instead."""
    from sbrflow.tasks.crm_persons import PossibleDuplicates, add_person

    with _errors():
        try:
            result = add_person(first_name=first_name, last_name=last_name, initials=initials,
                                name_prefix=name_prefix, email=email, birth_date=birth_date, bsn=bsn, phone=phone,
                                client=client, function=function, by=by, force=force, use=use,
                                contact_number=contact_number)
        except PossibleDuplicates as exc:
            if as_json:
                _dump({"outcome": "possible_duplicates", "candidates": exc.candidates})
            typer.echo("warning: this person probably exists already; nothing created:", err=True)
            for c in exc.candidates:
                clients = f", contact of {', '.join(c['clients'])}" if c["clients"] else ""
                typer.echo(f"  contact {c['contact_number']} {c['name']} <{c['email'] or '-'}>{clients}: "
                           f"same {', same '.join(c['on'])}", err=True)
            typer.echo("link the existing person with --use CONTACT_NUMBER (and --client, --function), "
                       "or create a new one anyway with --force", err=True)
            raise typer.Exit(1) from None
    if as_json:
        _dump(result)
        return
    where = f" at client {result['client_number']}" if result["client_number"] else ""
    function_text = f" as {result['function']}" if result["function"] else ""
    if result["outcome"] == "linked":
        typer.echo(f"contact {result['contact_number']} linked{where}{function_text}")
    else:
        typer.echo(f"contact {result['contact_number']} created{where}{function_text}")
        for c in result["candidates"]:
            typer.echo(f"  (created although it looks like contact {c['contact_number']}: same {', '.join(c['on'])})")


def merge_persons_command(
    keep: Annotated[str, typer.Argument(help="Contact number of the person to keep.")],
    drop: Annotated[str, typer.Argument(help="Contact number merged into KEEP; it becomes KEEP's alias.")],
    by: By,
    as_json: AsJson = False,
) -> None:
    """Merge two registrations of one person: DROP's links, notes, follow-ups, identification… go to KEEP."""
    from sbrflow.tasks.crm_persons import merge_persons

    with _errors():
        result = merge_persons(keep, drop, by=by)
    if as_json:
        _dump(result)
        return
    moved = ", ".join(f"{k} {v}" for k, v in result["moved"].items()) or "nothing to move"
    typer.echo(f"contact {result['dropped']} merged into {result['kept']} ({moved}); "
               f"{result['dropped']} is now an alias of {result['kept']}")
    if result["kept_own"]:
        typer.echo(f"  kept {result['kept']}'s own {', '.join(result['kept_own'])} where the two differed")


def delete_person_command(
    number: Annotated[str, typer.Argument(help="Contact number.")],
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the tombstone; no personal data).")],
) -> None:
    """Delete a person and their personal data (admins only); a tombstone stays in the audit trail."""
    from sbrflow.tasks.crm_persons import delete_person

    with _errors():
        result = delete_person(number, by=by, reason=reason)
    aliases = f" (and its merged numbers {', '.join(result['aliases'])})" if result["aliases"] else ""
    typer.echo(f"contact {result['deleted']}{aliases} deleted by {result['by']}; the audit trail keeps a tombstone")


def register(crm_app: typer.Typer) -> None:
    """Add these commands to `sbrflow crm`."""
    crm_app.add_typer(note_app, name="note")
    crm_app.add_typer(follow_up_app, name="follow-up")
    crm_app.command("add-person")(add_person_command)
    crm_app.command("merge-persons")(merge_persons_command)
    crm_app.command("delete-person")(delete_person_command)
