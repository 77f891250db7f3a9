"""Presentation and the command line: folder output, figures, reports, the glossary and
``bordersim`` (:mod:`sim.presentation.cli`, one module per subcommand).

Imports from the world, experiments and studies layers.
"""
