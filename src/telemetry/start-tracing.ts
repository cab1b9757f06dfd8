/**
 * Imported first by main.ts (each cluster worker runs main.ts too), so tracing, when
 * OTEL_EXPORTER_OTLP_ENDPOINT asks for it, is set up before Nest, `pg` and `ioredis` load.
 * Also usable as a preload: `node -r ./dist/telemetry/start-tracing.js dist/main.js`.
 */
import { startTracing } from './tracing';

startTracing(process.env);
