"""Document ids (`id:<namespace>:<doctype>::<user-specified>`), global ids and buckets."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from searchlib.errors import DocumentError

DISTRIBUTION_BITS = 16  # buckets = 2**16; placement is per bucket, so nodes can be added later


@dataclass(frozen=True, slots=True)
class DocumentId:
    namespace: str
    doctype: str
    user_specified: str
    key_values: str = ""  # the `n=`/`g=` part between the doctype and `::`, usually empty

    @classmethod
    def parse(cls, text: str) -> "DocumentId":
        if not text.startswith("id:"):
            raise DocumentError(f"Document id '{text}' must start with 'id:'")
        parts = text[3:].split(":", 3)
        if len(parts) != 4 or parts[2] != "" and "=" not in parts[2]:
            raise DocumentError(
                f"Document id '{text}' is not of the form id:<namespace>:<document-type>::<id>")
        namespace, doctype, key_values, user = parts
        if not namespace or not doctype or not user:
            raise DocumentError(
                f"Document id '{text}' is not of the form id:<namespace>:<document-type>::<id>")
        return cls(namespace, doctype, user, key_values)

    def __str__(self) -> str:
        return f"id:{self.namespace}:{self.doctype}:{self.key_values}:{self.user_specified}"

    @property
    def global_id(self) -> bytes:
        return global_id(str(self))


def global_id(document_id: str) -> bytes:
    """12-byte global id: stable over processes and machines (md5 of the full id)."""
    return hashlib.md5(document_id.encode("utf-8")).digest()[:12]


def bucket_of(gid: bytes) -> int:
    """The bucket a document lives in: the low DISTRIBUTION_BITS of its location."""
    return int.from_bytes(gid[:4], "little") & ((1 << DISTRIBUTION_BITS) - 1)
