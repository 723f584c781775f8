#!/usr/bin/env node
// The `threadline` command. A committed entry (not dist/main.js itself) so that npm links the bin
// in a workspace checkout before the build has run; it loads the built program.
import '../dist/main.js';
