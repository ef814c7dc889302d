"""Packaged as kg.packaged.ontology: the OWL ontology and SHACL shapes, read with importlib.resources."""
