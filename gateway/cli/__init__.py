"""The `gw` command line: `validate`, `compile`, `explain`, plus `serve`, `keys`, `db`, `usage` when present.

Importing any command module is cheap (argparse only); each command imports what it needs when it runs.
"""
