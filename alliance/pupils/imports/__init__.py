"""Roster imports from every source the school has (see docs/decisions/0005-roster-import-pipeline.md).

Each module of ``sources`` turns one kind of file into ``records.ParsedFile``
(normalised ``PupilRecord``s); ``pipeline`` plans and applies them, whatever the
source. Nothing is imported here so that ``alliance.pupils.roster`` (the Alliance
CSV parser, which the pipeline uses) can import ``errors`` without a cycle.
"""
