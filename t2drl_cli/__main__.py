"""`python -m t2drl_cli` is the `t2drl` command."""

from t2drl_cli.main import app_main

app_main()
