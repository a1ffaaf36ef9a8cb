"""`python -m iam`: write the roles' policies (see iam/generate.py)."""

import sys

from iam.generate import main

sys.exit(main())
