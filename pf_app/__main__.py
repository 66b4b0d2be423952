from pf_app.cli import main

raise SystemExit(main())
