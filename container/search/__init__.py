"""The container's query model and the per-schema search flow."""
