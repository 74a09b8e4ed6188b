"""The ``helpline`` command: Django's management commands, with dashes allowed.

``helpline demo-seed`` runs the ``demo_seed`` command, ``helpline worker`` the worker, and so on.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    argv[0] = "helpline"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
