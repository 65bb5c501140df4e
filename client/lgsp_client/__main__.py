"""`python -m lgsp_client ...` is the same as the `lgsp` command."""

import sys

from lgsp_client.cli import main

sys.exit(main())
