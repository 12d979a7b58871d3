from sfx_pipeline.cli import main

raise SystemExit(main())
