from geomlab.cli import main

raise SystemExit(main())
