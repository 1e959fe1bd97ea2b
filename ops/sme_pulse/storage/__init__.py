"""Object storage for the lake: one API over a local folder and an S3 bucket."""

from sme_pulse.storage.lake import Lake, LakeError, ObjectInfo

__all__ = ["Lake", "LakeError", "ObjectInfo"]
