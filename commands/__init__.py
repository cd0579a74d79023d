"""Chat commands, one module each (a `SPEC` and its handler), and what they share.

Shared by the commands: `program` (finding and storing partners, carrying out the rules'
effects, telling partners and managers), `examples` (dated examples), `figures` (the
/stats aggregates), `bulletin`, `channel`, `referring`, `reminding` and `quarterly` (the
jobs that run on a schedule), `integrity` (what `bot.py import` accepts). The machinery
that runs them is in `engine`.
"""
