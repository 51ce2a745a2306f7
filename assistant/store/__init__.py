"""Storage: the PassageStore protocol (base.py) and its two backends behind one switch.

    base.py       PassageStore, Location, Filter, ChangeSet: the contract every backend keeps
    backends.py   the index argument chooses the backend (the only module that imports one)
    files/        an index directory of immutable segments (the default)
    pg/           PostgreSQL + pgvector

May import: types, errors, dates, lexical, int8 (the layers below). Callers use base.py's
protocol, never a backend's internals (tests/test_layers.py).
"""
