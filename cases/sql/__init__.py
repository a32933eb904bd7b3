"""The raw SQL of `cases`, in one place: statement text and the small functions that build it.

Nothing here runs a statement; the services and selectors of `cases` do. Values the code
knows by name (statuses, their labels) are generated from their Python definitions with
`literal` and `label_case`, never typed into the SQL a second time.
"""

from django.db.models import Choices


def literal(value: str) -> str:
    """`value` as an SQL string literal. For names the code defines, not for user input.

    A `%` is refused: in a statement run with parameters it would have to be doubled.
    """
    if "%" in value:
        raise ValueError(f"{value!r}: a % in an SQL literal would be read as a parameter")
    return "'" + value.replace("'", "''") + "'"


def label_case(column: str, choices: type[Choices]) -> str:
    """A CASE expression turning the value in `column` into the label `choices` gives it."""
    whens = " ".join(f"WHEN {literal(value)} THEN {literal(str(label))}" for value, label in choices.choices)
    return f"CASE {column} {whens} END"
