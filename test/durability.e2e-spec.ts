import {
  appendFileSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Simulator, startSimulator } from '../scripts/stream-simulator';
import { eventually } from './helpers/eventually';
import { rng } from './helpers/random';
import { expectedState, rocketHistory, shuffledWithDuplicates } from './helpers/rocket-history';
import { ServerProcess, startServerProcess } from './helpers/server-process';
import { tempDir } from './helpers/temp-dir';
import { FileIo } from '../src/shared-state/file-log';
import { rawRequest } from './client/beacon-client';
import { RefusingIo } from './helpers/refusing-io';
import { startTestApp } from './helpers/test-app';

/**
 * STATE_BACKEND=local, the default, as a user meets it: real Beacon processes on one
 * DATA_DIR, stopped with SIGTERM or killed with SIGKILL under load, started again on what
 * they left, and on files damaged on purpose.
 */
describe('local state across restarts and crashes (e2e)', () => {
  jest.setTimeout(120_000);
  let dir: string;
  let running: ServerProcess[] = [];
  let sim: Simulator | null = null;

  beforeEach(() => {
    dir = tempDir('beacon-durable-');
  });
  afterEach(async () => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    running = [];
    await sim?.close();
    sim = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string> = {}) => {
    const p = await startServerProcess({ DATA_DIR: dir, ...env });
    running.push(p);
    return p;
  };
  const stop = async (p: ServerProcess, signal: NodeJS.Signals) => {
    p.child.kill(signal);
    return p.exited;
  };
  // Every answer is checked against the committed spec, as the typed client does.
  const json = async (p: ServerProcess, path: string) => {
    const r = await rawRequest(p.baseUrl, 'GET', path);
    return { status: r.status, body: r.json<Record<string, unknown>>() };
  };
  const post = async (p: ServerProcess, path: string, body: unknown, method = 'POST') => {
    const r = await rawRequest(p.baseUrl, method, path, JSON.stringify(body));
    return { status: r.status, body: (r.text === '' ? null : r.json()) as { status?: string } };
  };
  const warnings = (p: ServerProcess) => p.logs.filter((l) => l.level >= 40).map((l) => l.msg);

  it('SIGTERM and restart: every module answers exactly as before', async () => {
    // A scripted upstream: 200 posts once, then only heartbeats (the upstream paused).
    const random = rng(7);
    const script = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        tweet: {
          timestamp: 1_700_000_000 + i,
          likes: Math.floor(random() * 1000),
          comments: Math.floor(random() * 50),
        },
      }),
    );
    sim = await startSimulator({ script, heartbeatMs: 200 });
    const env = { STREAM_ENABLED: 'true', STREAM_URL: sim.url };
    const a = await start(env);
    expect(a.logs.map((l) => l.msg).join('\n')).not.toMatch(/volatile/);

    expect(
      (await post(a, '/metrics/tuned', { window_ms: 600_000, max_samples: 500 }, 'PUT')).status,
    ).toBe(201);
    for (let i = 1; i <= 300; i++) {
      expect(
        (await post(a, `/metrics/${i % 2 ? 'tuned' : 'plain'}/latency`, { latency_ns: i * 1000 }))
          .status,
      ).toBe(202);
    }
    const histories = Array.from({ length: 6 }, (_, r) => rocketHistory(`r-${r}`, 12, random));
    for (const m of shuffledWithDuplicates(histories, 0.2, random)) {
      expect((await post(a, '/messages', m)).status).toBe(202);
    }
    await eventually(async () => (await json(a, '/analysis/status')).body.postsReceived === 200);

    const reads = ['/metrics/tuned', '/metrics/plain', '/metrics', '/rockets', '/rockets/r-3'];
    const analysis = '/analysis?duration=1h&dimension=likes';
    const before = await Promise.all([...reads, analysis].map((r) => json(a, r)));
    const counted = (await json(a, '/counter')).body.count as number;
    expect(await stop(a, 'SIGTERM')).toBe(0);

    const b = await start(env);
    // It says where the state is and what it read back.
    expect(b.logs.map((l) => l.msg).join('\n')).toMatch(
      /latency: state in .*state\/latency: a snapshot and 0 entries after it read back/,
    );
    // The counter first: the next request it counts is this one.
    expect((await json(b, '/counter')).body.count).toBe(counted + 1);
    const after = await Promise.all([...reads, analysis].map((r) => json(b, r)));
    expect(after.map((r) => r.status)).toEqual(before.map((r) => r.status));
    expect(before.every((r) => r.status === 200)).toBe(true);
    // Answers computed at another moment differ only in their `at`/`to` stamps.
    const stable = (r: { body: unknown }): unknown =>
      JSON.parse(
        JSON.stringify(r.body, (k, v: unknown) =>
          ['at', 'from', 'to'].includes(k) ? undefined : v,
        ),
      );
    expect(after.map(stable)).toEqual(before.map(stable));
    expect((after[5].body as { total_posts: number }).total_posts).toBe(200);
    // The rockets are what their histories say, not merely what they were.
    for (const h of histories) {
      const e = expectedState(h);
      const got = (await json(b, `/rockets/${e.id}`)).body;
      expect({ speed: got.speed, mission: got.mission, status: got.status }).toEqual({
        speed: e.speed,
        mission: e.mission,
        status: e.status,
      });
    }
    // The upstream was asked to resume after the last event kept.
    await eventually(() => sim!.lastEventIds.includes('200'));
    // A graceful stop left a snapshot: the restart replayed (almost) nothing.
    const health = (await json(b, '/health')).body as {
      info?: {
        sharedState?: { logs: { name: string; entriesApplied: number; snapshotsLoaded: number }[] };
      };
      error?: unknown;
    };
    const logs = health.info?.sharedState?.logs ?? [];
    expect(
      logs
        .filter((l) => l.name !== 'stream')
        .map((l) => [l.name, l.snapshotsLoaded])
        .sort(),
    ).toEqual([
      ['latency', 1],
      ['rockets', 1],
    ]);
  });

  it('kill -9 under concurrent load: every write answered 202 is there after the restart', async () => {
    const a = await start();
    const random = rng(11);
    const histories = Array.from({ length: 40 }, (_, r) => rocketHistory(`k-${r}`, 15, random));
    const messages = shuffledWithDuplicates(histories, 0.1, random);
    const acked = { samples: 0, messages: [] as (typeof messages)[number][] };
    let sentSamples = 0;
    let alive = true;
    const samples = async () => {
      while (alive) {
        sentSamples++;
        const r = await post(a, '/metrics/load/latency', { latency_ns: 1 }).catch(() => null);
        if (!r) return;
        if (r.status === 202) acked.samples++;
      }
    };
    let next = 0;
    const rockets = async () => {
      while (alive && next < messages.length) {
        const m = messages[next++];
        const r = await post(a, '/messages', m).catch(() => null);
        if (!r) return;
        if (r.status === 202) acked.messages.push(m);
      }
    };
    const load = Promise.all([samples(), samples(), samples(), rockets(), rockets()]);
    await eventually(() => acked.samples > 300 && acked.messages.length > 150);
    a.child.kill('SIGKILL');
    alive = false;
    await load;
    expect(await a.exited).toBe('SIGKILL');

    const b = await start();
    const count = (await json(b, '/metrics/load')).body.Count as number;
    expect(count).toBeGreaterThanOrEqual(acked.samples);
    expect(count).toBeLessThanOrEqual(sentSamples);
    // Every acknowledged message is known: resent, it changes nothing.
    for (const m of acked.messages) {
      const { status, body } = await post(b, '/messages', m);
      expect(status).toBe(202);
      expect(['duplicate', 'ignored']).toContain(body.status);
    }
    // And every message resent in full ends exactly where the histories say.
    for (const m of messages) expect((await post(b, '/messages', m)).status).toBe(202);
    for (const h of histories) {
      const e = expectedState(h);
      const got = (await json(b, `/rockets/${e.id}`)).body;
      expect([got.speed, got.mission, got.status, got.lastMessageNumber]).toEqual([
        e.speed,
        e.mission,
        e.status,
        e.lastMessageNumber,
      ]);
    }
  });

  it('starts on damaged files: keeps what is valid, says what it dropped', async () => {
    const a = await start({ SHARED_SNAPSHOT_INTERVAL_MS: '1000' });
    for (let i = 1; i <= 20; i++) await post(a, '/metrics/m/latency', { latency_ns: i });
    const state = join(dir, 'state');
    const files = (name: string) => readdirSync(join(state, name)).map((f) => join(state, name, f));
    // Two snapshots of latency, then more samples in the log after them.
    await eventually(() => files('latency').filter((f) => f.includes('snapshot-')).length >= 1);
    for (let i = 21; i <= 30; i++) await post(a, '/metrics/m/latency', { latency_ns: i });
    await eventually(() => files('latency').filter((f) => f.includes('snapshot-')).length >= 2);
    for (let i = 31; i <= 40; i++) await post(a, '/metrics/m/latency', { latency_ns: i });
    a.child.kill('SIGKILL');
    await a.exited;
    // Rockets in a second run that takes no snapshot before it is killed: all in the log.
    const a2 = await start();
    for (let r = 0; r < 3; r++) {
      const launched = await post(a2, '/messages', {
        metadata: {
          channel: `d-${r}`,
          messageNumber: 1,
          messageTime: '2026-12-01T12:00:00Z',
          messageType: 'RocketLaunched',
        },
        message: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' },
      });
      expect(launched.body.status).toBe('applied');
    }
    a2.child.kill('SIGKILL');
    await a2.exited;

    // Latency: the newest snapshot cut in half.
    const snaps = files('latency')
      .filter((f) => /snapshot-\d+\.bin$/.test(f))
      .sort();
    const newest = snaps[snaps.length - 1];
    truncateSync(newest, Math.floor(readFileSync(newest).length / 2));
    // Rockets: the last frame's checksum broken (its last byte flipped).
    const rocketsLog = files('rockets')
      .filter((f) => /log-\d+\.bin$/.test(f))
      .sort()
      .pop()!;
    const buf = readFileSync(rocketsLog);
    buf[buf.length - 1] ^= 0xff;
    writeFileSync(rocketsLog, buf);
    // Garbage appended to every state file.
    for (const name of ['latency', 'rockets']) {
      for (const f of files(name)) {
        if (/\.bin$/.test(f) && f !== newest)
          appendFileSync(f, Buffer.from('garbage\x00\xff'.repeat(10), 'latin1'));
      }
    }

    const b = await start();
    // Latency fell back to the older snapshot and the log since: nothing lost.
    expect((await json(b, '/metrics/m')).body.Count).toBe(40);
    // Rockets: the damaged last message is dropped, the others kept.
    const list = (await json(b, '/rockets')).body as unknown as { id: string }[];
    expect(list.map((r) => r.id).sort()).toEqual(['d-0', 'd-1']);
    const said = warnings(b).join('\n');
    expect(said).toMatch(/latency: snapshot of entry \d+ set aside \(it is cut short/);
    expect(said).toMatch(/rockets: .*fail their checksum/);
    expect(said).toMatch(/cut \d+ bytes/);
    const health = (await json(b, '/health')).body as {
      info: { sharedState: { logs: { name: string; damage: string[] }[] } };
    };
    const damage = Object.fromEntries(
      health.info.sharedState.logs.map((l) => [l.name, l.damage.length]),
    );
    expect(damage.latency).toBeGreaterThan(0);
    expect(damage.rockets).toBeGreaterThan(0);
    // A second start finds nothing more to say.
    expect(await stop(b, 'SIGTERM')).toBe(0);
    const c = await start();
    expect(warnings(c).filter((w) => /damaged|cut|checksum|set aside/.test(w))).toEqual([]);
    expect((await json(c, '/metrics/m')).body.Count).toBe(40);
  });

  it('a second Beacon on the same DATA_DIR is refused with one clear line', async () => {
    await start();
    const second = startServerProcess({ DATA_DIR: dir });
    await expect(second).rejects.toThrow(
      /is in use by a running Beacon \(pid \d+\): each instance needs its own DATA_DIR/,
    );
  });

  it('STATE_BACKEND=memory says at start that it keeps nothing', async () => {
    const a = await start({ STATE_BACKEND: 'memory' });
    expect(warnings(a).join('\n')).toMatch(/STATE_BACKEND=memory: .*lost when Beacon stops/);
  });
});

describe('local state on a disk that refuses writes (e2e)', () => {
  it('answers 503 and changes nothing, fails readiness naming the module, and recovers by itself', async () => {
    const io = new RefusingIo();
    const t = await startTestApp(
      { STATE_SYNC_MS: '50' },
      { overrides: [{ provide: FileIo, useValue: io }] },
    );
    try {
      const sample = (v: number) =>
        rawRequest(t.baseUrl, 'POST', '/metrics/m/latency', JSON.stringify({ latency_ns: v }));
      const count = async () =>
        (await rawRequest(t.baseUrl, 'GET', '/metrics/m')).json<{ Count: number }>().Count;
      expect((await sample(1)).status).toBe(202);
      expect((await rawRequest(t.baseUrl, 'GET', '/health/ready')).status).toBe(200);

      io.refusing = 'ENOSPC';
      const refused = await sample(2);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(refused.json<{ message: string }>().message).toMatch(
        /could not be written to disk \(ENOSPC\); nothing was changed/,
      );
      expect(await count()).toBe(1);
      const launch = await rawRequest(
        t.baseUrl,
        'POST',
        '/messages',
        JSON.stringify({
          metadata: {
            channel: 'disk',
            messageNumber: 1,
            messageTime: '2026-12-01T12:00:00Z',
            messageType: 'RocketLaunched',
          },
          message: { type: 'Falcon-9', launchSpeed: 500, mission: 'ARTEMIS' },
        }),
      );
      expect(launch.status).toBe(503);
      expect((await rawRequest(t.baseUrl, 'GET', '/rockets/disk')).status).toBe(404);
      const ready = await rawRequest(t.baseUrl, 'GET', '/health/ready');
      expect(ready.status).toBe(503);
      const unreachable = ready.json<{ error: { sharedState: { unreachable: string[] } } }>().error
        .sharedState.unreachable;
      expect(unreachable.join('\n')).toMatch(/^latency: the disk refused a write .*ENOSPC/m);
      expect(unreachable.join('\n')).toMatch(/^rockets: the disk refused a write/m);

      // The disk takes writes again: the background probe clears readiness, writes go through.
      io.refusing = null;
      await eventually(
        async () => (await rawRequest(t.baseUrl, 'GET', '/health/ready')).status === 200,
      );
      expect((await sample(3)).status).toBe(202);
      expect(await count()).toBe(2);
    } finally {
      await t.close();
    }
  });
});
