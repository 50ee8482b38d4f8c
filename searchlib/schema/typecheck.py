"""Type-checking every rank-profile expression when the application package loads.

Each function body, phase expression and match/summary feature is parsed on its own (so an error
points into the text where it was written: file:line:column) and its type is inferred: a double
(rank-0 TensorType), a tensor type, or unknown (`None`: ONNX outputs and other model-dependent
values, which are checked at run time). Errors name the profile, the function or phase, and the
location: unknown functions and rank features, wrong arity, fields that do not exist or are not
attributes/indexes, undeclared query features under `strict: true`, constants that do not exist,
tensor type errors (reducing over a missing dimension, mapped/indexed clashes, a tensor where a
phase needs a number), normalizers outside global-phase, and model files that are missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from searchlib.errors import ExpressionError, SchemaError, SearchlibError, SourceLocation
from searchlib.expression import ast as A
from searchlib.expression.bits import unpack_bits_type
from searchlib.expression.parser import parse_expression
from searchlib.schema import feature_types as F
from searchlib.schema.collection_feature_types import FeatureProblem, collection_feature_type
from searchlib.schema.geo_fields import is_position, zcurve_source
from searchlib.schema.match_feature import match_problem
from searchlib.rank_values import parse_value
from searchlib.schema.constants import FILE_PREFIX, constant_value
from searchlib.schema.model import Expression, RankProfile, Schema
from searchlib.schema.package_paths import tree_model_path
from searchlib.tensor import Tensor, TensorType
from searchlib.tensor.types import Dimension, decay, join_type, reduce_type, top_type

DOUBLE = TensorType()
Type = TensorType | None  # None: unknown until run time

_PHASES = {"first-phase": 1, "second-phase": 2, "global-phase": 3}
FUNCTION_BODY = 0  # a function checked on its own: phase rules apply where it is called
FEATURE_LIST = 4  # match- and summary-features: after the phases, no normalizers


def check_schemas(schemas: Mapping[str, Schema], package_path: str | Path | None = None, *,
                  read_constant_files: bool = True, verify_features: bool = True) -> None:
    """Raise SchemaError for the first expression of any profile that does not type-check.
    read_constant_files=False: `file:` constants take their declared types unread (derive mode).
    verify_features=False: a name that is no function, constant or known rank feature is taken as
    a rank feature giving a number, as Vespa's config model derives it (derive mode); at deploy
    Vespa's content nodes (verify-ranksetup) refuse it, and so does this check by default."""
    root = Path(package_path) if package_path else None
    for schema in schemas.values():
        for profile in schema.rank_profiles.values():
            ProfileChecker(schema, profile, root, read_constant_files=read_constant_files,
                           verify_features=verify_features).check()


@dataclass(slots=True)
class _Scope:
    """Where a tree came from (for locations) and what its names mean."""

    what: str  # "function 'f'", "first-phase", "match-features", ...
    expression: Expression
    phase: int  # 1, 2, 3; 0 for functions and features (checked when used in a phase)
    params: Mapping[str, Type] = field(default_factory=dict)
    # parameters the caller gave a bare name for (`f(W_0)`): substituted into feature arguments in
    # the body (`constant(p)`, `query(p)`, `fieldMatch(p)`), as Vespa inlines them
    bindings: Mapping[str, str] = field(default_factory=dict)


class ProfileChecker:
    def __init__(self, schema: Schema, profile: RankProfile, package_path: Path | None, *,
                 read_constant_files: bool = True, verify_features: bool = True) -> None:
        self.schema = schema
        self.verify_features = verify_features
        self.profile = profile
        self.package_path = package_path
        self.inputs = {_query_key(i.name): i for i in profile.inputs.values()}
        self.constant_types = {_bare_constant(c.name): self._declared_type(c.type_spec, c.location, c.name)
                               for c in profile.constants.values()}
        for name, declared in self.inputs.items():
            self._declared_type(declared.type_spec, declared.location, name)
            if declared.default is not None:
                self._check_value(declared.type_spec, declared.default, declared.location, name)
        for constant in profile.constants.values():
            from_file = constant.value.strip().startswith(FILE_PREFIX)
            if not from_file or (package_path is not None and read_constant_files):
                try:
                    constant_value(constant, package_path)
                except SchemaError as error:  # a schema-level constant (in every profile) is no profile's
                    shared = all(p.constants.get(constant.name) == constant for p in schema.rank_profiles.values())
                    where = f"schema '{schema.name}'" if shared else f"rank-profile '{profile.name}'"
                    raise SchemaError(f"{where}: {error.message}", error.location) from None
        self.function_types: dict[tuple[str, int, tuple[str, ...]], Type] = {}
        self.calling: list[str] = []
        self.checked_models: set[str] = set()

    # ---- entry

    def check(self) -> None:
        p = self.profile
        used = _used_functions(p)
        for fn in p.functions.values():
            if fn.name in used:
                self.check_text(f"function '{fn.name}'", fn.expression, FUNCTION_BODY,
                                {name: None for name in fn.parameters})
            else:  # as Vespa: a function nothing uses must parse, its types are not checked
                self.parse(f"function '{fn.name}'", fn.expression)
        for name, phase in (("first-phase", p.first_phase), ("second-phase", p.second_phase),
                            ("global-phase", p.global_phase)):
            if phase is None:
                continue
            result = self.check_text(name, phase.expression, _PHASES[name])
            if result is not None and result.rank:
                raise self.error(_Scope(name, phase.expression, 0), phase.expression.location,
                                 f"the {name} expression must produce a number, but produces {result}")
        for what, names in (("match-features", p.match_features), ("summary-features", p.summary_features)):
            for name in names:
                self.check_text(what, Expression(name, p.location), FEATURE_LIST)

    def check_text(self, what: str, expression: Expression, phase: int,
                   params: Mapping[str, Type] | None = None, bindings: Mapping[str, str] | None = None) -> Type:
        scope = _Scope(what, expression, phase, params or {}, bindings or {})
        return self.infer(self.parse(what, expression, scope), scope)

    def parse(self, what: str, expression: Expression, scope: _Scope | None = None) -> A.Node:
        try:
            return parse_expression(expression.text, _known(expression.location))
        except ExpressionError as error:
            scope = scope or _Scope(what, expression, FUNCTION_BODY, {})
            raise SchemaError(f"{self._where(scope)}: {error.message}",
                              error.location or expression.location) from None

    # ---- errors

    def _where(self, scope: _Scope) -> str:
        return f"rank-profile '{self.profile.name}' of schema '{self.schema.name}', {scope.what}"

    def error(self, scope: _Scope, location: SourceLocation | None, message: str) -> SchemaError:
        return SchemaError(f"{self._where(scope)}: {message}", location or scope.expression.location)

    def at(self, scope: _Scope, node: A.Node, message: str) -> SchemaError:
        return self.error(scope, _located(scope.expression, node.offset), message)

    def _check_value(self, spec: str, text: str, location: SourceLocation, name: str) -> None:
        try:
            parse_value(spec, text, name)
        except SearchlibError as error:
            raise SchemaError(f"rank-profile '{self.profile.name}': default of input {name}: {error.message}",
                              location) from None

    def _declared_type(self, spec: str, location: SourceLocation, name: str) -> Type:
        if not spec.startswith("tensor"):
            return DOUBLE
        try:
            return TensorType.parse(spec)
        except ExpressionError as error:
            raise SchemaError(f"rank-profile '{self.profile.name}': bad type of '{name}': {error.message}",
                              location) from None

    # ---- inference

    def infer(self, node: A.Node, scope: _Scope) -> Type:
        try:
            return self._infer(node, scope)
        except ExpressionError as error:  # a tensor type rule (join, reduce, ...) failed at this node
            raise self.at(scope, node, error.message) from None

    def _infer(self, node: A.Node, scope: _Scope) -> Type:
        match node:
            case A.Num() | A.Str() | A.Var() | A.In():
                if isinstance(node, A.In):
                    self.infer(node.operand, scope)
                return DOUBLE
            case A.Const(value=v):
                return v.type if isinstance(v, Tensor) else DOUBLE
            case A.Feature():
                return self.feature(node, scope)
            case A.Neg(operand=o) | A.Not(operand=o):
                return self.infer(o, scope)
            case A.Binary(left=a, right=b):
                return _join(self.infer(a, scope), self.infer(b, scope))
            case A.If(condition=c, then=t, otherwise=o):
                self.infer(c, scope)  # a tensor condition is true when its cells sum to non-zero (Vespa)
                return self.if_type(node, self.infer(t, scope), self.infer(o, scope), scope)
            case A.Call(name="unpack_bits", args=args):
                operand = self.infer(args[0], scope)
                return None if operand is None else unpack_bits_type(operand, args[1].value)
            case A.Call(name=name, args=args):
                types = [self.infer(a, scope) for a in args]
                if len(types) == 1:
                    return None if types[0] is None else _mapped(types[0])
                return _join(*types)
            case A.MinMaxOrReduce(operand=o, other=other):
                operand = self.infer(o, scope)
                if operand is None:
                    return None
                if other.name in operand.dimension_names and not other.args:
                    return reduce_type(operand, (other.name,))
                return _join(operand, self.infer(other, scope))
            case A.Lambda(body=body):
                result = self.infer(body, scope)
                if result is not None and result.rank:
                    raise self.at(scope, body, f"a lambda must produce a number, but produces {result}")
                return DOUBLE
            case A.TensorMap(operand=o, fn=fn):
                self.infer(fn, scope)
                operand = self.infer(o, scope)
                return None if operand is None else _mapped(operand)
            case A.TensorJoin(left=a, right=b, fn=fn, merge=merge):
                self.infer(fn, scope)
                left, right = self.infer(a, scope), self.infer(b, scope)
                if merge and left is not None and right is not None \
                        and left.dimension_names != right.dimension_names:
                    raise self.at(scope, node, f"merge needs tensors of the same dimensions, got {left} and {right}")
                return _join(left, right)
            case A.TensorReduce(operand=o, dimensions=dims):
                operand = self.infer(o, scope)
                return None if operand is None else reduce_type(operand, dims)
            case A.TensorRename(operand=o, from_dims=old, to_dims=new):
                return self.rename_type(node, self.infer(o, scope), old, new, scope)
            case A.TensorConcat(left=a, right=b, dimension=dim):
                return _concat(self.infer(a, scope), self.infer(b, scope), dim)
            case A.CellCast(operand=o, cell_type=cell):
                operand = self.infer(o, scope)
                return None if operand is None else TensorType(cell, operand.dimensions)
            case A.CellOrder(operand=o):
                return None if (operand := self.infer(o, scope)) is None else TensorType("float", operand.dimensions)
            case A.Top(count=n, operand=o):  # a number, then a sparse tensor
                return top_type(self.infer(n, scope), self.infer(o, scope))
            case A.TensorGenerate(type_spec=spec, body=body):
                self.infer(body, scope)
                return TensorType.parse(spec)
            case A.Peek(operand=o, address=address):
                return self.peek_type(node, self.infer(o, scope), address, scope)
        raise self.at(scope, node, f"cannot type-check {type(node).__name__}")

    def if_type(self, node: A.If, then: Type, otherwise: Type, scope: _Scope) -> Type:
        if then is None or otherwise is None:
            return then or otherwise
        if then.dimension_names != otherwise.dimension_names:
            raise self.at(scope, node, f"both alternatives of if must have compatible types, but the true type "
                                       f"is {then} while the false type is {otherwise}")
        return then

    def rename_type(self, node: A.Node, operand: Type, old: tuple[str, ...], new: tuple[str, ...],
                    scope: _Scope) -> Type:
        if operand is None:
            return None
        mapping = dict(zip(old, new))
        for name in old:
            if operand.dimension(name) is None:
                raise self.at(scope, node, f"cannot rename '{name}': not a dimension of {operand}")
        dims = [type(d)(mapping.get(d.name, d.name), d.size) for d in operand.dimensions]
        return TensorType(operand.cell_type, tuple(dims))

    def peek_type(self, node: A.Peek, operand: Type, address, scope: _Scope) -> Type:
        for _, value in address:
            if not isinstance(value, str):
                self.infer(value, scope)
        if operand is None:
            return None
        if any(not dim for dim, _ in address):
            if operand.rank != 1:
                raise self.at(scope, node, f"a short cell address needs a tensor of one dimension, got {operand}")
            return DOUBLE
        for dim, _ in address:
            if operand.dimension(dim) is None:
                raise self.at(scope, node, f"'{dim}' is not a dimension of {operand}")
        named = {dim for dim, _ in address}
        return TensorType(operand.cell_type, tuple(d for d in operand.dimensions if d.name not in named))

    # ---- names: parameters, functions, constants, rank features

    def feature(self, node: A.Feature, scope: _Scope) -> Type:
        name = node.name
        if not node.args and not node.output and name in scope.params:
            return scope.params[name]
        if name in self.profile.functions and not node.output:
            return self.call(node, scope)
        if name == "rankingExpression" and len(node.args) == 1 and not node.output:
            target = A.to_text(node.args[0]).strip("\"'")
            if target not in self.profile.functions:
                if not self.verify_features:  # derive mode: a feature name the content nodes check
                    return DOUBLE
                raise self.at(scope, node, f"rankingExpression({target}): no function '{target}' in the profile")
            return self.call(A.Feature(target, (), "", False, node.offset), scope)
        if name == "constant" and not node.output:
            key = A.to_text(node.args[0]) if len(node.args) == 1 else ""
            if key in scope.params:  # `constant(p)`: the name the caller passes for p
                if key not in scope.bindings:
                    return None  # the body checked on its own: known where it is called
                key = scope.bindings[key]
            if key not in self.constant_types:
                raise self.at(scope, node, f"unknown constant '{key}'")
            return self.constant_types[key]
        if not node.args and not node.output and name in self.constant_types:
            return self.constant_types[name]
        return self.rank_feature(node, scope)

    def call(self, node: A.Feature, scope: _Scope) -> Type:
        fn = self.profile.functions[node.name]
        if len(node.args) != len(fn.parameters):
            plural = "s" if len(fn.parameters) != 1 else ""
            raise self.at(scope, node, f"function '{fn.name}' takes {len(fn.parameters)} argument{plural}, "
                                       f"got {len(node.args)}")
        if node.name in self.calling:
            cycle = " -> ".join([*self.calling[self.calling.index(node.name):], node.name])
            raise self.at(scope, node, f"function '{fn.name}' is recursive ({cycle})")
        arg_types = tuple(self.infer(a, scope) if not _is_name(a, scope) else None for a in node.args)
        bindings = {p: scope.bindings.get(a.name, a.name) for p, a in zip(fn.parameters, node.args)
                    if isinstance(a, A.Feature) and not a.args and not a.output
                    and (a.name in scope.bindings or _is_name(a, scope))}
        key = (fn.name, scope.phase, tuple(str(t) for t in arg_types), tuple(sorted(bindings.items())))
        if key not in self.function_types:
            self.calling.append(fn.name)
            try:
                self.function_types[key] = self.check_text(
                    f"function '{fn.name}'", fn.expression, scope.phase, dict(zip(fn.parameters, arg_types)),
                    bindings)
            finally:
                self.calling.pop()
        return self.function_types[key]

    def rank_feature(self, node: A.Feature, scope: _Scope) -> Type:
        try:
            return self._rank_feature(node, scope)
        except SchemaError:
            if self.verify_features:
                raise
            return DOUBLE  # derive mode: the content nodes check features and their arguments at deploy

    def _rank_feature(self, node: A.Feature, scope: _Scope) -> Type:
        name, args = node.name, [scope.bindings.get(text, text) for text in map(A.to_text, node.args)]
        if name in F.NORMALIZERS:
            if scope.phase not in (FUNCTION_BODY, _PHASES["global-phase"]):
                raise self.at(scope, node, f"{name} is only allowed in global-phase")
            for arg in node.args:
                self.infer(arg, scope)
            return DOUBLE
        if name in F.UNSUPPORTED_FEATURES:
            raise self.at(scope, node, f"not supported: rank feature '{name}'")
        if name not in F.KNOWN_FEATURES:
            raise self.at(scope, node, f"unknown function or rank feature '{node.canonical}'")
        if name in F.PHASE_FEATURES and FUNCTION_BODY < scope.phase <= F.PHASE_FEATURES[name]:
            phase = next(k for k, v in _PHASES.items() if v == scope.phase)
            raise self.at(scope, node, f"'{name}' is not available in {phase}")
        bound = {a for a in args if a in scope.params}  # parameters stand for names given by the caller
        if name == "query":
            return self.query_feature(node, args, scope)
        if name in F.COLLECTION_FEATURES:
            try:
                return collection_feature_type(self.schema, name, args, bound, node.output)
            except FeatureProblem as problem:
                raise self.at(scope, node, str(problem)) from None
        if name in F.OUTPUTS_CHECKED and (problem := F.field_match_problem(self.schema, name, args, bound, node.output)):
            raise self.at(scope, node, problem)
        if name == "match":
            problem = match_problem(self.schema, node.output) if not args else "match takes no arguments"
            if problem is not None:
                raise self.at(scope, node, problem)
        if name == "attribute" and len(args) == 1 and zcurve_source(self.schema.fields, args[0]) is not None:
            return DOUBLE  # attribute(pos_zcurve): the z-curve attribute of a position field
        if name in F.ATTRIBUTE_FEATURES:
            field = self.field_arg(node, args, scope, bound)
            if field is None:
                return DOUBLE
            spec = self.schema.fields[field]
            if not spec.is_attribute:
                raise self.at(scope, node, f"{name}({field}): field '{field}' is not an attribute")
            if spec.type.kind == "predicate" or is_position(spec):
                what = "predicate field, read by subqueries" if spec.type.kind == "predicate" else \
                    "position field, read by distance and closeness"
                raise self.at(scope, node, f"{name}({field}): '{field}' is a {what}")
            if name == "attribute" and spec.type.kind == "tensor" and len(args) == 1 and not node.output:
                return TensorType.parse(spec.type.tensor_type)
            return DOUBLE
        if name in F.INDEX_FIELD_FEATURES:
            field = self.field_arg(node, args, scope, bound)
            if field is not None and not self.schema.fields[field].is_index:
                raise self.at(scope, node, f"{name}({field}): field '{field}' is not an index field")
            allowed = F.NAMED_ARGUMENTS.get(name, frozenset())
            for arg in args[1:]:
                key = arg.partition(":")[0] if ":" in arg else ""
                if key not in allowed or len(args) > 1 + len(allowed):
                    raise self.at(scope, node, f"{node.canonical}: unexpected argument '{arg}'")
            return TensorType.parse(F.FIXED_TENSOR_FEATURES[name]) if name in F.FIXED_TENSOR_FEATURES else DOUBLE
        if name == "foreach":
            return self.foreach(node, args, scope)
        if name == "elementwise":
            return self.elementwise(node, scope)
        if name in F.FIELD_FEATURES:
            self.field_arg(node, args, scope, bound)
            return DOUBLE
        if name in F.OPTIONAL_FIELDS_FEATURES:
            for arg in args:
                if arg not in bound and not self.schema.index_fields(arg):
                    raise self.at(scope, node, f"{name}: no field '{arg}' in schema '{self.schema.name}'")
            return DOUBLE
        if name in F.VECTOR_FEATURES and args and args[0] == "field" and len(args) == 2:
            self.field_arg(node, args[1:], scope, bound)
        if name in F.ONNX_FEATURES:
            model = args[0].strip('"') if args else ""
            if model not in self.profile.onnx_models and model not in bound:
                raise self.at(scope, node, f"onnx model '{model}' is not declared in the profile (onnx-model)")
            return None
        if name in F.TREE_MODELS:
            self.tree_model(node, args, scope)
            return DOUBLE
        return None if name in F.TENSOR_FEATURES else DOUBLE

    def foreach(self, node: A.Feature, args: list[str], scope: _Scope) -> Type:
        """foreach(dimension, variable, feature, condition, operation): the inner feature holds the
        variable, so only the arguments are checked here; the inner feature is checked at run time."""
        if len(args) != 5:
            raise self.at(scope, node, f"foreach takes 5 arguments (dimension, variable, feature, condition, "
                                       f"operation), got {len(args)}")
        dimension, _, _, condition, operation = (a.strip('"') for a in args)
        if dimension not in F.FOREACH_DIMENSIONS:
            raise self.at(scope, node, f"foreach: dimension must be terms, fields or attributes, not '{dimension}'")
        if operation not in F.FOREACH_OPERATIONS:
            raise self.at(scope, node, f"foreach: operation must be one of {sorted(F.FOREACH_OPERATIONS)}, "
                                       f"not '{operation}'")
        if condition != "true" and not (len(condition) >= 2 and condition[0] in "<>" and _is_number(condition[1:])):
            raise self.at(scope, node, f"foreach: condition must be 'true', '<a' or '>a', not '{condition}'")
        return DOUBLE

    def elementwise(self, node: A.Feature, scope: _Scope) -> Type:
        """elementwise(bm25(f), dim[, cell type]): tensor<cell type>(dim{})."""
        args = node.args
        inner = args[0] if args else None
        if not (2 <= len(args) <= 3 and isinstance(inner, A.Feature) and inner.name in F.ELEMENTWISE_FEATURES):
            raise self.at(scope, node, "elementwise takes (bm25(field), dimension[, cell type])")
        self.rank_feature(inner, scope)
        dimension, cell = A.to_text(args[1]), A.to_text(args[2]) if len(args) == 3 else "double"
        if cell not in ("double", "float", "bfloat16", "int8"):
            raise self.at(scope, node, f"elementwise: '{cell}' is not a valid tensor cell type")
        try:
            return TensorType.parse(f"tensor<{cell}>({dimension}{{}})")
        except ExpressionError as error:
            raise self.at(scope, node, f"elementwise: {error.message}") from None

    def query_feature(self, node: A.Feature, args: list[str], scope: _Scope) -> Type:
        key = f"query({args[0]})" if args else "query"
        declared = self.inputs.get(key)
        if declared is not None:
            return self._declared_type(declared.type_spec, declared.location, key)
        if self.profile.strict:
            raise self.at(scope, node, f"{key} is not declared in inputs (the profile is strict)")
        return DOUBLE

    def field_arg(self, node: A.Feature, args: list[str], scope: _Scope, bound: set[str]) -> str | None:
        if not args:
            raise self.at(scope, node, f"{node.name} needs a field name")
        field = args[0]
        if field in bound:
            return None
        if field not in self.schema.fields:
            raise self.at(scope, node, f"{node.name}({field}): no field '{field}' in schema '{self.schema.name}'")
        return field

    def tree_model(self, node: A.Feature, args: list[str], scope: _Scope) -> None:
        from searchlib.models import load_tree_model  # imported lazily: most packages have no tree models

        file = args[0].strip('"') if args else ""
        if not file or self.package_path is None or node.canonical in self.checked_models:
            return
        self.checked_models.add(node.canonical)
        try:
            model = load_tree_model(node.name, tree_model_path(self.package_path, file))
        except (ExpressionError, SchemaError) as error:
            raise self.at(scope, node, error.message) from None
        for feature_name in model.feature_names:
            self.check_text(f"{scope.what}, feature '{feature_name}' of {node.canonical}",
                            Expression(feature_name, _located(scope.expression, node.offset)), scope.phase)


def _used_functions(profile: RankProfile) -> set[str]:
    """The functions a phase or feature list reaches, directly or through other functions (by
    name: over-approximating is harmless, it only means checking one more function)."""
    texts = [phase.expression.text for phase in (profile.first_phase, profile.second_phase, profile.global_phase)
             if phase is not None] + list(profile.match_features) + list(profile.summary_features)
    texts += list(profile.rank_features) + [source for model in profile.onnx_models.values()
                                            for _, source in model.inputs]
    used: set[str] = set()
    pending = [word for text in texts for word in _WORDS.findall(text)]
    while pending:
        word = pending.pop()
        if word in profile.functions and word not in used:
            used.add(word)
            pending.extend(_WORDS.findall(profile.functions[word].expression.text))
    return used


_WORDS = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def _join(*types: Type) -> Type:
    if any(t is None for t in types):
        return None
    result = types[0]
    for t in types[1:]:
        result = join_type(result, t)
    return result


def _mapped(t: TensorType) -> TensorType:
    return TensorType(decay(t.cell_type), t.dimensions)


def _concat(a: Type, b: Type, dim: str) -> Type:
    """Concatenating along `dim`: a missing `dim` counts as size 1; other dimensions are joined."""
    if a is None or b is None:
        return None
    sizes = [(t.dimension(dim).size if t.dimension(dim) is not None else 1) for t in (a, b)]
    if any(size is None for size in sizes):
        raise ExpressionError(f"concat along mapped dimension '{dim}' is not supported")
    rest = join_type(TensorType(a.cell_type, tuple(d for d in a.dimensions if d.name != dim)),
                     TensorType(b.cell_type, tuple(d for d in b.dimensions if d.name != dim)))
    return TensorType(rest.cell_type if rest.rank else "double", (*rest.dimensions, Dimension(dim, sum(sizes))))


def _is_name(node: A.Node, scope: _Scope) -> bool:
    """An argument that is a bare name passed to a function parameter (e.g. a field name)."""
    return isinstance(node, A.Feature) and not node.args and not node.output and node.name not in scope.params


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _query_key(name: str) -> str:
    return name if "(" in name else f"query({name})"


def _bare_constant(name: str) -> str:
    return name[len("constant("):-1] if name.startswith("constant(") else name


def _known(location: SourceLocation) -> SourceLocation | None:
    return location if location.line > 0 else None


def _located(expression: Expression, offset: int) -> SourceLocation:
    return expression.location_at(offset) if expression.location.line > 0 else expression.location


__all__ = ["check_schemas", "ProfileChecker", "FILE_PREFIX"]
