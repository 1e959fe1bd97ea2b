"""Checks that run before ingestion: are the sources reachable, is bronze still fresh."""
