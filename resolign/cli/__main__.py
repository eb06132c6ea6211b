"""`python -m resolign.cli`: the same as the `resolign` command."""

import sys

from resolign.cli import main

sys.exit(main())
