"""``python -m decisiongym.cli``: the ``decisiongym`` command."""

import sys

from decisiongym.cli import main

sys.exit(main())
