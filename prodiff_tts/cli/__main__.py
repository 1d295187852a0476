"""``python -m prodiff_tts.cli``: the ``tts`` command."""

import sys

from .main import main

sys.exit(main())
