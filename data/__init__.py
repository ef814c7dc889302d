"""Packaged as kg.packaged.data: the instance data, mappings and source documents, read with importlib.resources."""
