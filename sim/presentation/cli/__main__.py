"""``python -m sim.presentation.cli``: the ``bordersim`` command."""

import sys

from sim.presentation.cli import main

sys.exit(main())
