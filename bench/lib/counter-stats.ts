/** The request counter's own figures, from Beacon's /health. */
import { getJson } from './http';
import type { Server } from './server';

interface CounterHealth {
  details: { requestCounter: { bytesWritten: number; flushes: number; loadMs: number } };
}

export async function counterStats(server: Server) {
  return (await getJson<CounterHealth>(`${server.url}/health`)).details.requestCounter;
}
