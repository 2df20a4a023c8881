"""`python -m smtpclient`: see `smtpclient.cli`."""

from .cli import main

raise SystemExit(main())
