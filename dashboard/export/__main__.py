"""`python -m dashboard.export`: export views, stories and series from the command line."""

from dashboard.export.cli import main

raise SystemExit(main())
