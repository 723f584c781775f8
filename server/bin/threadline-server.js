#!/usr/bin/env node
// The `threadline-server` command: runs the built bundle (server/tsup.config.ts; `npm install`
// builds it through `prepare`, `npm run build` rebuilds it). Stack traces point into the sources.
process.setSourceMapsEnabled(true);
await import('../dist/threadline-server.js');
