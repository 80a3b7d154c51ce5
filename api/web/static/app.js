// The workbench's one script: small touches on pages that work without it.
"use strict";
