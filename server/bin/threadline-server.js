#!/usr/bin/env node
// Runs the TypeScript entry through tsx, so the server needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./threadline-server.ts');
