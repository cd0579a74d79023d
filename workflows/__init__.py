"""The program's rules as pure functions and state machines: no I/O, the clock passed in."""
