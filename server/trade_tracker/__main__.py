"""``python -m trade_tracker`` is the ``trade-tracker`` command."""

from .faces.cli import main

if __name__ == "__main__":
    main()
