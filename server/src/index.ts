export type { AppRouter } from './routers/app.js';
export { appRouter } from './routers/app.js';
export { loadConfig, type Config } from './config.js';
export { startServer, type RunningServer } from './main.js';
export { createThreadline, type Threadline, type ThreadlineCaller, type ThreadlineOptions } from './embed.js';
export { createRequestHandler, type RequestHandler } from './http.js';
