import sys

from snn_feed.reference import main

sys.exit(main())
