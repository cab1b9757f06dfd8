/**
 * `npm run demo`: Beacon on its embedded defaults with three local simulators feeding it:
 * the seed's UDP metrics protocol, StatsD timers and the SSE stream of posts. Ctrl-C stops
 * everything. Nothing leaves 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { encodeMetricsData } from '../src/api-metrics/metrics-datagram';
import { startSimulator } from './stream-simulator';

const PORT = Number(process.env.PORT ?? 8080);
const METRICS_UDP_PORT = Number(process.env.METRICS_UDP_PORT ?? 5000);
const STATSD_UDP_PORT = Number(process.env.STATSD_UDP_PORT ?? 8125);
const ROUTES: [string, number, number][] = [
  // route, method byte (1 GET, 2 POST, 4 DELETE), typical ms
  ['/health', 1, 2],
  ['/api/products', 1, 40],
  ['/api/products', 2, 120],
  ['/api/cart', 2, 80],
  ['/api/cart', 4, 30],
];

async function main(): Promise<void> {
  const stream = await startSimulator({ rate: 20, heartbeatMs: 5000 });
  const beacon = spawn(process.execPath, ['dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(PORT),
      METRICS_UDP_PORT: String(METRICS_UDP_PORT),
      STATSD_UDP_PORT: String(STATSD_UDP_PORT),
      STREAM_URL: stream.url,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
    stdio: 'inherit',
  });
  const udp = createSocket('udp4');
  let seq = 0;
  // Heavy-tailed response times: mostly near the route's typical time, sometimes 10× slower.
  const sample = (typical: number) =>
    typical * (0.5 + Math.random()) * (Math.random() < 0.05 ? 10 : 1);
  const metrics = setInterval(() => {
    const [route, methodByte, typical] = ROUTES[Math.floor(Math.random() * ROUTES.length)];
    const status = Math.random() < 0.03 ? 500 : methodByte === 2 ? 201 : 200;
    const buf = encodeMetricsData(
      { sequence: ++seq, timestamp: Math.floor(Date.now() / 1000) },
      {
        route,
        methodByte,
        statusCode: status,
        responseTimeMs: Math.round(sample(typical) * 100) / 100,
      },
    );
    udp.send(buf, METRICS_UDP_PORT, '127.0.0.1');
  }, 50);
  const statsd = setInterval(() => {
    const lines = [
      `checkout.total:${sample(250).toFixed(1)}|ms`,
      `db.query:${sample(8).toFixed(2)}|ms|#db:main`,
    ];
    udp.send(lines.join('\n'), STATSD_UDP_PORT, '127.0.0.1');
  }, 100);

  const base = `http://127.0.0.1:${PORT}`;
  process.stdout.write(
    [
      '',
      `Beacon demo: Swagger UI   ${base}/swagger`,
      `  records, grouped        ${base}/api-metrics?minutes=5`,
      `  per-second grid         ${base}/api-metrics/series?minutes=1`,
      `  percentiles (SQL)       ${base}/api-metrics/percentiles?route=/api/products`,
      `  latency (UDP + StatsD)  ${base}/metrics`,
      `  stream analysis         ${base}/analysis?duration=30s&dimension=likes  (live: waits 30 s)`,
      `  live records            ws://127.0.0.1:${PORT}/ws   (e.g. npx wscat -c ws://127.0.0.1:${PORT}/ws)`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  const stop = () => {
    clearInterval(metrics);
    clearInterval(statsd);
    udp.close();
    beacon.kill('SIGTERM');
    beacon.once('exit', () => void stream.close().then(() => process.exit(0)));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  beacon.once('exit', (code) => {
    if (code !== 0 && code !== null) process.exit(code);
  });
}

void main();
