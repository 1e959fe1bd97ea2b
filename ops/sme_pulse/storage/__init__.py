"""Object storage for the lake: one API over a local folder and an S3 bucket."""

from sme_pulse.storage.lake import Lake, LakeError, ObjectInfo
from sme_pulse.storage.lock import LakeLock, LakeLockedError

__all__ = ["Lake", "LakeError", "LakeLock", "LakeLockedError", "ObjectInfo"]
