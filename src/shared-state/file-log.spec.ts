import { appendFileSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../test/helpers/fake-clock';
import { tempDir } from '../../test/helpers/temp-dir';
import { ListFold, PlainListFold } from '../../test/helpers/list-fold';
import { RefusingIo } from '../../test/helpers/refusing-io';
import { FileLog, FileLogOptions } from './file-log';
import { Fold, NotAppendedError } from './fold';
import { SharedLog } from './shared-log';

const dirs: string[] = [];
const open: SharedLog<number, number>[] = [];
afterEach(async () => {
  await Promise.all(open.map((l) => l.stop().catch(() => undefined)));
  open.length = 0;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = tempDir('beacon-file-log-');
  dirs.push(d);
  return d;
}

async function start<F extends Fold<number, number>>(
  dir: string,
  fold: F,
  options: Partial<FileLogOptions> = {},
): Promise<{ log: SharedLog<number, number>; fold: F; backend: FileLog }> {
  const backend = new FileLog({
    name: 'list',
    dir,
    clock: options.clock ?? new FakeClock(),
    syncMs: 1000,
    snapshots: fold.snapshot !== undefined,
    ...options,
  });
  const log = new SharedLog(fold, { name: 'list', instanceId: 'test' }, backend);
  await log.start();
  open.push(log);
  return { log, fold, backend };
}

/** What kill -9 leaves: the files as they are, nothing flushed or snapshotted on the way out. */
function abandon(log: SharedLog<number, number>): void {
  open.splice(open.indexOf(log), 1);
}

const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /^log-\d+\.bin$/.test(f))
    .sort();
const snapshots = (dir: string) => readdirSync(dir).filter((f) => /^snapshot-\d+\.bin$/.test(f));

describe('FileLog', () => {
  it('answers each append with its outcome and keeps every one across a graceful restart', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold());
    expect(await Promise.all([1, 2, 3].map((n) => a.log.append(n)))).toEqual([1, 2, 3]);
    expect(await a.log.append(4)).toBe(4);
    await a.log.stop();
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toEqual([1, 2, 3, 4]);
    // The graceful stop stored a snapshot: the restart replayed nothing.
    expect(b.log.status().snapshotsLoaded).toBe(1);
    expect(b.log.status().entriesApplied).toBe(0);
    expect(await b.log.append(5)).toBe(5);
  });

  it('keeps every answered append when the process dies without stopping (kill -9)', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold());
    await Promise.all(Array.from({ length: 500 }, (_, i) => a.log.append(i)));
    abandon(a.log);
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(b.log.status().damage).toEqual([]);
  });

  it('bounds the disk: two snapshots and the log since the older one', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold());
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) await a.log.append(round * 10 + i);
      await a.backend.snapshot();
    }
    expect(snapshots(dir)).toHaveLength(2);
    // The segment after the older snapshot and the one after the newer (empty yet).
    expect(segments(dir)).toHaveLength(2);
    await a.log.append(50);
    abandon(a.log);
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toEqual(Array.from({ length: 51 }, (_, i) => i));
    expect(b.log.status().entriesApplied).toBe(1);
  });

  it('cuts a torn or garbage tail at the last good entry and says so', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold());
    for (let i = 0; i < 20; i++) await a.log.append(i);
    abandon(a.log);
    const [seg] = segments(dir);
    const goodSize = readFileSync(join(dir, seg)).length;
    appendFileSync(join(dir, seg), Buffer.from('\x10\x00\x00\x00garbage that is no frame'));
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toHaveLength(20);
    expect(b.log.status().damage.join()).toMatch(/cut \d+ bytes/);
    expect(readFileSync(join(dir, seg)).length).toBe(goodSize);
    // And it goes on from there; a third start finds nothing wrong.
    expect(await b.log.append(20)).toBe(21);
    await b.log.stop();
    const c = await start(dir, new ListFold());
    expect(c.fold.items).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(c.log.status().damage).toEqual([]);
  });

  it('drops an entry whose checksum fails, and what follows it in that file, and says so', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold());
    for (let i = 0; i < 5; i++) await a.log.append(i);
    abandon(a.log);
    const path = join(dir, segments(dir)[0]);
    const buf = readFileSync(path);
    // The last byte of the file is in the fifth entry's payload.
    buf[buf.length - 1] ^= 0xff;
    writeFileSync(path, buf);
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toEqual([0, 1, 2, 3]);
    expect(b.log.status().damage.join()).toMatch(/fail their checksum/);
  });

  it('falls back to the previous snapshot when the newest is cut in half', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold());
    for (let i = 0; i < 10; i++) await a.log.append(i);
    await a.backend.snapshot();
    for (let i = 10; i < 20; i++) await a.log.append(i);
    await a.backend.snapshot();
    await a.log.append(20);
    abandon(a.log);
    const newest = snapshots(dir).sort().pop()!;
    truncateSync(join(dir, newest), Math.floor(readFileSync(join(dir, newest)).length / 2));
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(b.log.status().damage.join()).toMatch(
      /set aside \(it is cut short.*using the snapshot of entry 10/,
    );
    // Only the damaged one is set aside.
    expect(readdirSync(dir).filter((f) => f.endsWith('.damaged'))).toHaveLength(1);
  });

  it('replays the log alone when the only snapshot is garbage', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold());
    for (let i = 0; i < 10; i++) await a.log.append(i);
    await a.backend.snapshot();
    await a.log.append(10);
    abandon(a.log);
    writeFileSync(join(dir, snapshots(dir)[0]), 'not a snapshot at all');
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(b.log.status().damage.join()).toMatch(/not a Beacon snapshot.*using the log alone/);
  });

  it('answers 503 and changes nothing while the disk refuses writes, and works again by itself', async () => {
    const dir = newDir();
    const io = new RefusingIo();
    const a = await start(dir, new ListFold(), { io });
    await a.log.append(1);
    io.refusing = 'ENOSPC';
    const err = await a.log.append(2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAppendedError);
    expect((err as Error).message).toMatch(
      /could not be written to disk \(ENOSPC\); nothing was changed/,
    );
    expect(a.fold.items).toEqual([1]);
    expect(await a.log.problem()).toMatch(/ENOSPC/);
    // The background probe finds the disk still full, then taking writes again.
    await a.backend.maintain();
    expect(await a.log.problem()).toMatch(/ENOSPC/);
    io.refusing = null;
    await a.backend.maintain();
    expect(await a.log.problem()).toBeNull();
    expect(await a.log.append(3)).toBe(2);
    abandon(a.log);
    // The half-written frame was cut off: a restart sees exactly what was answered.
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toEqual([1, 3]);
    expect(b.log.status().damage).toEqual([]);
  });

  it('a failing fdatasync is said until one succeeds, and never crashes the process', async () => {
    const dir = newDir();
    const io = new RefusingIo();
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const a = await start(dir, new ListFold(), { io });
      await a.log.append(1);
      io.failingSync = 'EIO';
      await a.backend.maintain();
      expect(await a.log.problem()).toMatch(/fdatasync .* failed: .*EIO/);
      // Writes still reach the kernel (a kill -9 keeps them); a roll meanwhile (a snapshot)
      // queues its own failing sync and close of the old segment without a rejection.
      expect(await a.log.append(2)).toBe(2);
      await a.backend.snapshot();
      await a.backend.maintain();
      expect(await a.log.problem()).toMatch(/EIO/);
      io.failingSync = null;
      await a.backend.maintain();
      expect(await a.log.problem()).toBeNull();
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('with STATE_SYNC_MS=0, a write whose fdatasync fails is answered 503 and is not there after a restart', async () => {
    const dir = newDir();
    const io = new RefusingIo();
    const a = await start(dir, new ListFold(), { io, syncMs: 0 });
    await a.log.append(1);
    io.failingSync = 'EIO';
    await expect(a.log.append(2)).rejects.toBeInstanceOf(NotAppendedError);
    expect(a.fold.items).toEqual([1]);
    io.failingSync = null;
    expect(await a.log.append(3)).toBe(2);
    abandon(a.log);
    const b = await start(dir, new ListFold());
    expect(b.fold.items).toEqual([1, 3]);
    expect(b.log.status().damage).toEqual([]);
  });

  it('starts on a disk that refuses writes: serves what it read, refuses writes, recovers', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold());
    await a.log.append(1);
    await a.log.stop();
    open.splice(open.indexOf(a.log), 1);
    const io = new RefusingIo();
    io.refusing = 'ENOSPC';
    const b = await start(dir, new ListFold(), { io });
    expect(b.fold.items).toEqual([1]);
    expect(await b.log.problem()).toMatch(/ENOSPC/);
    await expect(b.log.append(2)).rejects.toBeInstanceOf(NotAppendedError);
    io.refusing = null;
    await b.backend.maintain();
    expect(await b.log.problem()).toBeNull();
    expect(await b.log.append(3)).toBe(2);
    await b.log.stop();
    open.splice(open.indexOf(b.log), 1);
    const c = await start(dir, new ListFold());
    expect(c.fold.items).toEqual([1, 3]);
  });

  it('with STATE_SYNC_MS=0, syncs before answering, one fdatasync per batch', async () => {
    const dir = newDir();
    const a = await start(dir, new ListFold(), { syncMs: 0 });
    const before = a.log.status().syncs;
    await Promise.all([1, 2, 3, 4].map((n) => a.log.append(n)));
    expect(a.log.status().syncs - before).toBe(1);
    await a.log.append(5);
    expect(a.log.status().syncs - before).toBe(2);
  });

  it('a time-bounded log replays only its window and deletes whole segments past it', async () => {
    const dir = newDir();
    const clock = new FakeClock();
    const hour = 3_600_000;
    const a = await start(dir, new PlainListFold(), { clock, keepMs: 24 * hour });
    for (let h = 0; h < 30; h++) {
      await a.log.append(h);
      clock.advance(hour);
      await a.backend.maintain();
    }
    // 30 hours written, a day kept: the oldest hourly segments are gone.
    expect(segments(dir).length).toBeLessThan(28);
    abandon(a.log);
    const b = await start(dir, new PlainListFold(), { clock, keepMs: 24 * hour });
    expect(b.fold.items).toEqual(Array.from({ length: 24 }, (_, i) => i + 6));
  });
});
