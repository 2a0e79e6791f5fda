"""The book's exercises: blank a tagged region of the library, then make its tests pass again.

The heart of each teachable piece of minitheano sits between two snippet markers, the same
ones the book uses to show that code on its page:

    # --8<-- [start:ex-ch04-mul-grad]
    return [gz * y, gz * x]
    # --8<-- [end:ex-ch04-mul-grad]

    python -m minitheano.exercises list                  every exercise, per chapter
    python -m minitheano.exercises blank ch04-mul-grad   replace its code by a raise
    python -m minitheano.exercises check ch04-mul-grad   run its own tests (seconds)
    python -m minitheano.exercises restore ch04-mul-grad bring the original code back
    python -m minitheano.exercises check ch04            chapter 4's tests, and a table
    python -m minitheano.exercises check                 every exercise's tests, and a table

`blank`, `restore` and `check` take one exercise, a chapter (`ch04`) or nothing (all).
The pieces: `regions` finds the marked code, `store` blanks and restores it without losing
the reader's own attempts, `check` runs each exercise's tests (listed in
tests/exercises.toml) and `outcomes` is the pytest plugin that tells `check` what passed.
"""

from minitheano.exercises.check import Entry, check, registry
from minitheano.exercises.regions import (
    PACKAGE,
    MarkerError,
    Region,
    exercises,
    regions,
    select,
)
from minitheano.exercises.store import Change, blank, restore, store
