from contexten.cli.main import main

raise SystemExit(main())
