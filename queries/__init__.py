"""Packaged as kg.packaged.queries: the stored SPARQL queries, read with importlib.resources."""
