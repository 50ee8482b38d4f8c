"""The pure library both processes must agree on: schemas, expressions, query trees, hit order."""
