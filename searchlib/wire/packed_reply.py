"""A plain search answer packed for the lean transport (frames.py PACKED): a fixed header, the hits'
relevances as one float64 array and their global ids concatenated, then each summary's ids and
JSON text, instead of a protobuf message a hit and a summary. "Plain" is what a BM25 top-k over
/search/ answers: no errors, trace, grouping, phase trace, match or summary features, sort values.
Anything else (and every gRPC reply) stays a SearchReply; both decode to the same SearchAnswer.

    header  !BIQQQQQII: version, distribution key, total hits, generation, coverage docs, active,
            target active, degraded reason | nodes (u32 each), then !II: hits, summaries
    hits    relevance !d × n, global id length B × n, the global ids
    docsums per summary !BII? (global id, document id and fields_json lengths, fields_plain), then
            their bytes in that order, UTF-8"""
from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from searchlib import exact_json
from searchlib.coverage import Coverage
from searchlib.hits import LeanHit
from searchlib.wire.search_codec import DocsumValue, EncodedDocsum, SearchAnswer

VERSION = 1
_HEADER = struct.Struct("!BIQQQQQIIII")
_DOCSUM = struct.Struct("!BII?")
# the largest window (offset + hits: what each node returns) the container asks to have packed: it
# builds every packed hit, where a SearchReply's merge decodes only the hits it keeps, so keeping 10
# of 2 nodes' 50 costs it ~45 µs more, about what the 2 nodes' encodes save (~0.65 µs a hit each),
# and ~0.7 ms more at 400 (benchmarks/packed_reply_codec.py, BENCHMARKS.md)
MAX_PACKED_HITS = 50


@dataclass(frozen=True, slots=True)
class PackedDocsum:
    """A summary that came packed with the hits: EncodedDocsum's reading, without a message; its
    JSON stays UTF-8 until read (the window shows about one node's worth of the summaries sent)."""
    global_id: bytes
    document_id: str
    fields_utf8: bytes
    fields_plain: bool

    def value(self, read_fields: bool = True) -> DocsumValue:
        fields = exact_json.loads(self.fields_utf8.decode()) if read_fields and self.fields_utf8 else {}
        return DocsumValue(self.global_id, self.document_id, fields, {})

    def plain_fields_json(self) -> str | None:
        return self.fields_utf8.decode() if self.fields_plain else None


def encode_packed(answer: SearchAnswer) -> bytes | None:
    """The answer packed, or None when it is not plain (it then travels as a SearchReply)."""
    if answer.errors or answer.trace or answer.grouping is not None or answer.phases is not None:
        return None
    hits = answer.hits
    if any(h.match_features or h.sort_data or h.phases is not None for h in hits):
        return None
    docsums = []
    for value in answer.docsums:
        if isinstance(value, EncodedDocsum):  # not made by this node's fill: as a message
            return None
        if value.summary_features:
            return None
        if value.fields_json is not None:  # as search_codec._encode_docsum decides it
            text, plain = value.fields_json, True
        else:
            text = exact_json.dumps(value.fields)
            plain = exact_json.is_plain(value.fields, text)
        docsums.append((value.global_id, value.document_id, text, plain))
    c = answer.coverage
    n = len(hits)
    gids = [h.global_id for h in hits]
    try:
        parts = [_HEADER.pack(VERSION, answer.distribution_key, answer.total_hits, answer.generation, c.docs, c.active,
                              c.target_active, c.degraded_reason, c.nodes, n, len(docsums)),
                 struct.pack(f"!{n}d{n}B", *[h.relevance for h in hits], *map(len, gids)), *gids]
        for gid, document_id, text, plain in docsums:
            document_id, text = document_id.encode(), text.encode()
            parts += (_DOCSUM.pack(len(gid), len(document_id), len(text), plain), gid, document_id, text)
    except (struct.error, UnicodeEncodeError):  # out of range, not UTF-8: the SearchReply path fails as it does
        return None
    return b"".join(parts)


def decode_packed(payload: bytes) -> SearchAnswer:
    """The answer a packed reply holds; a corrupt one raises ValueError (UnicodeDecodeError for text
    that is not UTF-8) or struct.error, that node's failure, as a SearchReply that does not parse."""
    (version, key, total, generation, docs, active, target_active, degraded, nodes, n,
     n_docsums) = _HEADER.unpack_from(payload)
    if version != VERSION:
        raise ValueError(f"packed reply version {version}, expected {VERSION}")
    at = _HEADER.size
    if 9 * n + _DOCSUM.size * n_docsums > len(payload) - at:  # before building anything for the counts
        raise ValueError(f"packed reply of {len(payload)} bytes cannot hold {n} hits and {n_docsums} summaries")
    numbers = struct.unpack_from(f"!{n}d{n}B", payload, at)
    at += 9 * n
    hits: list[LeanHit] = []
    for relevance, size in zip(numbers[:n], numbers[n:]):
        hits.append(LeanHit(payload[at:at + size], relevance, key))
        at += size
    docsums: list[PackedDocsum] = []
    for _ in range(n_docsums):
        gid_size, id_size, text_size, plain = _DOCSUM.unpack_from(payload, at)
        at += _DOCSUM.size
        gid = payload[at:at + gid_size]
        at += gid_size
        document_id = payload[at:at + id_size].decode()
        at += id_size
        docsums.append(PackedDocsum(gid, document_id, payload[at:at + text_size], plain))
        at += text_size
    if at != len(payload):
        raise ValueError(f"packed reply of {len(payload)} bytes holds {at}")
    # the JSON is read (or spliced) only in the fill: checked here, so bad text fails this node alone;
    # the separator keeps a sequence split over two summaries from passing as one
    codecs.utf_8_decode(b"\n".join(d.fields_utf8 for d in docsums), "strict", True)
    return SearchAnswer(key, tuple(hits), total, Coverage(docs, active, target_active, degraded, nodes),
                        generation=generation, docsums=tuple(docsums))
