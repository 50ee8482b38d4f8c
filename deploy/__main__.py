"""`python -m deploy ...` is `phasedsearch ...` (handy when the package is not pip-installed)."""
import sys

from deploy.cli import main

sys.exit(main())
