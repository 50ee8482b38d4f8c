"""encode_query (terms and the operators over them written in place) gives the same bytes as
encode_query_reference (each item built whole and copied into its parent) for any tree: every
term setting, empty and nested operators, and the other items inside them (which take the
reference's path); and the node decodes it to the same tree."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from searchlib.query import tree as q
from searchlib.wire.query_codec import decode_query, encode_query, encode_query_reference

terms = st.builds(
    q.Term, field=st.sampled_from(["default", "title", ""]), term=st.text(max_size=6),
    weight=st.sampled_from([100, 0, 250, -3]), label=st.sampled_from(["", "l"]), ranked=st.booleans(),
    filter=st.booleans(), affix=st.sampled_from(["", "prefix", "substring"]),
    significance=st.one_of(st.none(), st.sampled_from([0.0, 0.5])), item_id=st.sampled_from([0, 7]),
    connectivity=st.one_of(st.none(), st.just((7, 0.25)), st.just((0, 0.0))),
    document_frequency=st.one_of(st.none(), st.just((3, 1000)), st.just((0, 0))), positions=st.booleans())
# a significance model's frequencies: one per word of a near, one for an equiv
near_and_equiv = st.one_of(
    st.builds(q.Near, field=st.just("title"), terms=st.just(("a", "b")), negative=st.just(("c",)),
              document_frequencies=st.sampled_from([(), ((3, 1000), (0, 1000))])),
    st.builds(q.Equiv, field=st.just("title"), terms=st.just(("a", "b")),
              document_frequency=st.sampled_from([None, (5, 1000), (0, 0)])))
others = st.one_of(
    st.builds(q.Phrase, field=st.just("title"), terms=st.just(("a", "b"))), near_and_equiv,
    st.builds(q.Range, field=st.just("year"), low=st.sampled_from([None, 3, 2.5]), high=st.just(10)),
    st.just(q.TrueItem()), st.just(q.FalseItem()))


def operators(children):
    many = st.lists(children, max_size=4).map(tuple)
    return st.one_of(
        many.map(q.Or), many.map(q.And), many.map(q.Rank),
        st.builds(q.WeakAnd, many, target_hits=st.sampled_from([100, 10]), total_target_hits=st.sampled_from([0, 5])),
        st.builds(lambda child: q.Rank((child,), "lab", 2.5), children),  # labeled(): the reference's path
        st.builds(q.Not, children))


trees = st.recursive(st.one_of(terms, others), operators, max_leaves=12)


@settings(max_examples=120, deadline=None)
@given(trees)
def test_the_in_place_encoding_is_the_reference_byte_for_byte(tree) -> None:
    fast = encode_query(tree).SerializeToString()
    assert fast == encode_query_reference(tree).SerializeToString()
    assert decode_query(type(encode_query(tree)).FromString(fast)) == decode_query(encode_query_reference(tree))


def test_a_term_whose_fields_all_have_their_defaults_is_still_a_term() -> None:
    bare = q.Term("", "", weight=0)
    assert encode_query(bare).WhichOneof("item") == "term"
    assert encode_query(q.Or((bare,))).SerializeToString() == encode_query_reference(q.Or((bare,))).SerializeToString()


@given(terms.filter(lambda t: t.weight != 0 and t.connectivity != (0, 0.0)))
def test_every_field_of_a_term_reaches_the_node(term) -> None:
    """Decoding gives the term back: a field one encoder forgot fails here, not on a cluster."""
    assert decode_query(encode_query(term)) == term


def test_the_term_fields_list_names_every_field_of_the_message() -> None:
    """A field added to TermItem must be added to the one list both encoders write."""
    from protos import content_node_pb2 as pb
    from searchlib.wire.query_codec import _term_fields
    written = set(_term_fields(q.Term("f", "w", document_frequency=(1, 2))))
    assert written == set(pb.TermItem.DESCRIPTOR.fields_by_name)


@given(near_and_equiv)
def test_near_and_equiv_frequencies_reach_the_node(item) -> None:
    assert decode_query(encode_query(item)) == item
    assert decode_query(encode_query_reference(item)) == item


def test_near_frequencies_of_another_length_than_its_terms_are_dropped_whole() -> None:
    """Zipped short they would drop rank terms: a near's words each rank, with or without one."""
    near = q.Near("title", ("a", "b"), document_frequencies=((3, 1000),))
    assert [(t.term, t.document_frequency) for t in q.terms_of(near)] == [("a", None), ("b", None)]
    message = encode_query(q.Near("title", ("a", "b"), document_frequencies=((3, 1000), (4, 1000))))
    del message.near.document_counts[1:]  # counts shorter than the frequencies
    assert decode_query(message).document_frequencies == ()
    del message.near.document_frequencies[1:]  # both shorter than the terms
    assert decode_query(message).document_frequencies == ()
    assert [t.term for t in q.terms_of(decode_query(message))] == ["a", "b"]
