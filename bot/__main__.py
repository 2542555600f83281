"""`python -m bot` is the `kcert-bot` command."""

from bot.cli import main

raise SystemExit(main())
