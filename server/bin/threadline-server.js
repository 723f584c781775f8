#!/usr/bin/env node
// The `threadline-server` command: runs the built bundle (server/tsup.config.ts; `npm install`
// builds it through `prepare`, `npm run build` rebuilds it). Stack traces point into the bundle,
// which keeps each source file's path in a comment; `NODE_OPTIONS=--enable-source-maps` points
// them into the TypeScript sources, for about 10 MB more memory (Node then keeps every loaded
// module's source map, the packages' too).
const bundle = new URL('../dist/threadline-server.js', import.meta.url);
try {
  await import(bundle.href);
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(bundle.pathname)) throw error;
  console.error('threadline-server: the server is not built yet; run `npm run build` (npm install does it) and try again');
  process.exit(1);
}
