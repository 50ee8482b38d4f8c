"""The YQL geo operators over position fields, a layer of the YQL parser (yql.py):

    geoLocation(field, lat, lng, "10 km")        a circle (radius units as searchlib.geo.parse_distance;
                                                 a negative radius: no limit, ranking only)
    geoBoundingBox(field, south, west, north, east)

Coordinates are numbers, strings ("63.4", "N63.4", "E10.4") or @parameters, as Vespa's
YqlParser reads them (a bounding box's by Java's Double grammar, searchlib.java_numbers); the
items they build print as Vespa's GEO_LOCATION items."""
from __future__ import annotations

from searchlib import geo
from searchlib.java_numbers import parse_double
from searchlib.query import parameters as params
from searchlib.query.tree import GeoLocation, QueryNode
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import YqlValueCursor


class YqlGeoParser(YqlValueCursor):
    def _geo_arguments(self, at: Token, count: int) -> tuple[str, list[tuple[str, Token]]]:
        """(field, the other arguments as text) for `name(field, a, b, ...)` with `count` in all."""
        self.expect_punct("(")
        field_token = self.advance()
        if field_token.kind not in ("ident", "string"):
            self.expected("a position field name", field_token)
        values: list[tuple[str, Token]] = []
        while self.is_punct(","):
            self.advance()
            token = self.peek()
            negative = self.is_punct("-")
            if negative:
                self.advance()
                token = self.peek()
            if token.kind not in ("number", "string", "param"):
                self.expected("a number, a string or an @parameter", token)
            self.advance()
            text = self._parameter(token) if token.kind == "param" else token.text
            values.append((("-" if negative else "") + text.rstrip("lL" if token.kind == "number" else ""), token))
        self.expect_punct(")")
        if len(values) + 1 != count:
            self.fail(f"Expected {count} arguments, got {len(values) + 1}.", at.start)
        return field_token.text, values

    def _geo_location(self, annotations: dict[str, object], at: Token) -> QueryNode:
        field, ((lat_text, lat_at), (lng_text, _), (radius_text, radius_at)) = self._geo_arguments(at, 4)
        try:
            lat, lng = geo.parse_coordinate_pair(lat_text, lng_text)
        except geo.GeoError as error:
            self.fail(str(error), lat_at.start)
        try:
            radius = geo.parse_distance(radius_text)
        except geo.GeoError as error:
            self.fail(str(error), radius_at.start)
        try:
            location = geo.circle(lat, lng, radius)
        except geo.GeoError as error:
            self.fail(str(error), lat_at.start)
        return GeoLocation(field, location.x, location.y, location.radius, location.aspect, True,
                           label=self._annotation(params.annotation_str, annotations, "label", "", at))

    def _geo_bounding_box(self, annotations: dict[str, object], at: Token) -> QueryNode:
        field, values = self._geo_arguments(at, 5)
        numbers = []
        for text, token in values:
            try:
                numbers.append(parse_double(text))  # Java's grammar: no `1_0`, `inf` or Unicode digits
            except ValueError:
                self.fail(f"Expected a number of degrees, got {text!r}", token.start)
        try:
            location = geo.bounding_box(*numbers)
        except geo.GeoError as error:
            self.fail(str(error), at.start)
        return GeoLocation(field, box=location.box,
                           label=self._annotation(params.annotation_str, annotations, "label", "", at))
