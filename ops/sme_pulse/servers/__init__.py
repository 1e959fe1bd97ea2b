"""Local servers without Docker: one pattern for every one of them.

`artifacts` fetches pinned archives from Maven Central and verifies their SHA-256 into a
cache shared by every checkout; `process` starts a server detached, waits until it answers,
and stops it by the PID it recorded, with its log and PID file under `SME_PULSE_HOME`;
`trino_local` composes them into the stack's Trino side (S3 stand-in, PostgreSQL, Hive
metastore, Trino coordinator and workers) from the project's own `trino/` and `hive/` files.
"""
