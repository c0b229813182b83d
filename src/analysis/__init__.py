"""Code intelligence with tree-sitter: per-file facts (functions, classes, imports, references, calls,
complexity), and what follows from a whole tree of them (dependency cycles, dead code, duplicated blocks,
hotspots and the blast radius of a diff).

Used by the daemon's analysis flows and by `contexten analyze`; imports neither textual, zmq nor the daemon.
"""
