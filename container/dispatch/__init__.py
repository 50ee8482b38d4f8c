"""Dispatch: talk to content nodes (scatter/gather, fill, feed), with deadlines and coverage."""
