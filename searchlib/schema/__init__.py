"""The schema language (.sd) and application packages, compiled once into a resolved model."""
