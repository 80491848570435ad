from peakready.cli import main

raise SystemExit(main())
