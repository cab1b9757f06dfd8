/**
 * Settings every Beacon a test or the bench starts gets unless it asks otherwise: no
 * connection to the real SSE stream, no database (a fresh embedded PostgreSQL cluster costs
 * ~0.6 s of initdb per app), and UDP listeners on free ports so apps never fight over
 * 5000/8125.
 */
export const ISOLATED_ENV = {
  STREAM_ENABLED: 'false',
  API_METRICS_ENABLED: 'false',
  METRICS_UDP_PORT: '0',
  STATSD_UDP_PORT: '0',
} as const;
