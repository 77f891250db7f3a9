"""Presentation and the command line: folder output, figures, reports, the glossary and
``bordersim``.

Imports from the world and experiments layers.
"""
