/**
 * `npm run demo`: Beacon on its embedded defaults with four local simulators feeding it:
 * the seed's UDP metrics protocol, StatsD timers, the SSE stream of posts and rocket
 * messages. Open the dashboard it prints first to watch them. Ctrl-C stops everything.
 * Nothing leaves 127.0.0.1.
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
  const rockets = startRockets(`${base}/messages`);
  process.stdout.write(
    [
      '',
      `Beacon demo: dashboard    ${base}/`,
      `  Swagger UI              ${base}/swagger`,
      `  Prometheus exposition   ${base}/prometheus`,
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
    clearInterval(rockets);
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

/**
 * Five rockets, one message every 400 ms in order: launches, then speed and mission
 * changes, now and then an explosion and a relaunch on a new channel. (The e2e tests
 * cover duplicates and disorder; the demo only shows the table moving.)
 */
function startRockets(url: string): NodeJS.Timeout {
  const MISSIONS = ['ARTEMIS', 'APOLLO', 'GEMINI', 'MERCURY'];
  const TYPES = ['Falcon-9', 'Falcon-Heavy', 'Starship', 'Electron'];
  let launched = 0;
  type Channel = { id: string; n: number; unsent: string | null };
  const channels: Channel[] = Array.from({ length: 5 }, () => ({ id: '', n: 0, unsent: null }));
  // A message Beacon did not take (still starting, or 503) is sent again, like a real
  // at-least-once sender: a lost number would leave the rocket buffering for ever.
  const send = (c: Channel, body: string) => {
    c.unsent = body;
    void fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      .then((res) => {
        if (res.status === 202 && c.unsent === body) c.unsent = null;
      })
      .catch(() => undefined);
  };
  const post = (c: Channel, messageType: string, message: object) =>
    send(
      c,
      JSON.stringify({
        metadata: {
          channel: c.id,
          messageNumber: ++c.n,
          messageTime: new Date().toISOString(),
          messageType,
        },
        message,
      }),
    );
  return setInterval(() => {
    const c = channels[Math.floor(Math.random() * channels.length)];
    if (c.unsent !== null) return send(c, c.unsent);
    const pick = <T>(all: T[]) => all[Math.floor(Math.random() * all.length)];
    if (c.id === '' || c.n > 40) {
      c.id = `demo-rocket-${++launched}`;
      c.n = 0;
      const launch = { type: pick(TYPES), launchSpeed: 500 + Math.floor(Math.random() * 1000) };
      return void post(c, 'RocketLaunched', { ...launch, mission: pick(MISSIONS) });
    }
    const r = Math.random();
    if (r < 0.02) return void post(c, 'RocketExploded', { reason: 'PRESSURE_VESSEL_FAILURE' });
    if (r < 0.1) return void post(c, 'RocketMissionChanged', { newMission: pick(MISSIONS) });
    const by = Math.floor(Math.random() * 500);
    void post(c, r < 0.6 ? 'RocketSpeedIncreased' : 'RocketSpeedDecreased', { by });
  }, 400);
}

void main();
