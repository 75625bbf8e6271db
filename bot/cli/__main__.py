import gc
import sys

# Importing the CLI builds every runbook and check model (tens of thousands
# of objects, no garbage): no collection needs to walk them meanwhile, and
# commands freeze them afterwards (bot.cli.startup). About 10 % of the import.
gc.disable()
try:
    from bot.cli import main
finally:
    gc.enable()

sys.exit(main())
