"""presentation.format.tensors: each form of indexed, mapped and mixed tensors, written out by
hand from Vespa's JSON forms (the query API and document JSON references)."""
from __future__ import annotations

import pytest

from searchlib.tensor import tensor_from_json
from searchlib.tensor.result_forms import TENSOR_FORMS, tensor_in_form

INDEXED = tensor_from_json({"values": [1, 2, 3, 4, 5, 6]}, "tensor<float>(x[2],y[3])")
MAPPED = tensor_from_json({"cells": {"a": 1.5, "b": -2}}, "tensor(k{})")
MIXED = tensor_from_json({"blocks": {"a": [1, 2], "b": [3, 4]}}, "tensor<float>(k{},x[2])")
INDEXED_TYPE, MAPPED_TYPE, MIXED_TYPE = "tensor<float>(x[2],y[3])", "tensor(k{})", "tensor<float>(k{},x[2])"
INDEXED_CELLS = [{"address": {"x": str(x), "y": str(y)}, "value": float(3 * x + y + 1)}
                 for x in range(2) for y in range(3)]
MAPPED_CELLS = [{"address": {"k": "a"}, "value": 1.5}, {"address": {"k": "b"}, "value": -2.0}]
MIXED_CELLS = [{"address": {"k": k, "x": str(x)}, "value": float(v)}
               for k, base in (("a", 1), ("b", 3)) for x, v in ((0, base), (1, base + 1))]

EXPECTED = {
    "short": [{"type": INDEXED_TYPE, "values": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]},
              {"type": MAPPED_TYPE, "cells": {"a": 1.5, "b": -2.0}},
              {"type": MIXED_TYPE, "blocks": {"a": [1.0, 2.0], "b": [3.0, 4.0]}}],
    "long": [{"type": INDEXED_TYPE, "cells": INDEXED_CELLS},
             {"type": MAPPED_TYPE, "cells": MAPPED_CELLS},
             {"type": MIXED_TYPE, "cells": MIXED_CELLS}],
    "short-value": [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], {"a": 1.5, "b": -2.0}, {"a": [1.0, 2.0], "b": [3.0, 4.0]}],
    "long-value": [INDEXED_CELLS, MAPPED_CELLS, MIXED_CELLS],
    # float cells: 1.0 = 3F800000, 2.0 = 40000000, ...; mapped tensors have no dense cells to encode
    "hex": [{"type": INDEXED_TYPE, "values": "3f80000040000000404000004080000040a0000040c00000"},
            {"type": MAPPED_TYPE, "cells": {"a": 1.5, "b": -2.0}},
            {"type": MIXED_TYPE, "blocks": {"a": "3f80000040000000", "b": "4040000040800000"}}],
    "hex-value": ["3f80000040000000404000004080000040a0000040c00000", {"a": 1.5, "b": -2.0},
                  {"a": "3f80000040000000", "b": "4040000040800000"}],
}


@pytest.mark.parametrize("form", TENSOR_FORMS)
def test_each_form_of_indexed_mapped_and_mixed_tensors(form) -> None:
    assert [tensor_in_form(t, form) for t in (INDEXED, MAPPED, MIXED)] == EXPECTED[form]
    assert set(EXPECTED) == set(TENSOR_FORMS)


def test_two_mapped_dimensions_use_address_lists_in_the_short_forms() -> None:
    t = tensor_from_json({"cells": [{"address": {"a": "p", "b": "q"}, "value": 2}]}, "tensor(a{},b{})")
    cells = [{"address": {"a": "p", "b": "q"}, "value": 2.0}]
    assert tensor_in_form(t, "short") == {"type": "tensor(a{},b{})", "cells": cells}
    assert tensor_in_form(t, "short-value") == cells
    mixed = tensor_from_json({"blocks": [{"address": {"a": "p", "b": "q"}, "values": [1, 2]}]},
                             "tensor<float>(a{},b{},x[2])")
    assert tensor_in_form(mixed, "short-value") == [{"address": {"a": "p", "b": "q"}, "values": [1.0, 2.0]}]
    assert tensor_in_form(mixed, "hex-value") == [{"address": {"a": "p", "b": "q"}, "values": "3f80000040000000"}]


def test_the_typed_forms_read_back_as_the_same_tensor() -> None:
    for form in ("short", "long"):
        for t in (INDEXED, MAPPED, MIXED):
            assert tensor_from_json(tensor_in_form(t, form)) == t
    assert tensor_from_json(tensor_in_form(INDEXED, "hex")) == INDEXED
