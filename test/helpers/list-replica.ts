import { FakeClock } from './fake-clock';
import { ListFold } from './list-fold';
import { dropPrefix, testRedisUrl, uniquePrefix } from './redis';
import { RedisLog, RedisLogOptions } from '../../src/shared-state/redis-log';
import { SharedLog } from '../../src/shared-state/shared-log';

/**
 * Replicas of a list fold on the shared Redis log, each under a test's own prefix: what
 * the shared-log suites start, and `cleanup` (afterEach) stops them and drops their keys.
 */
export function listReplicas() {
  const started: SharedLog<number, number>[] = [];
  const prefixes: string[] = [];
  return {
    prefix(name: string): string {
      const p = uniquePrefix(name);
      prefixes.push(p);
      return p;
    },
    async replica(
      p: string,
      options: Partial<RedisLogOptions> = {},
      url = testRedisUrl(),
    ): Promise<{ log: SharedLog<number, number>; fold: ListFold }> {
      const fold = new ListFold();
      const instanceId = `replica-${started.length}`;
      const backend = new RedisLog({
        name: 'list',
        redis: { url, prefix: p },
        clock: new FakeClock(),
        instanceId,
        snapshots: true,
        ...options,
      });
      const log = new SharedLog(
        fold,
        { name: 'list', instanceId, snapshotEveryMs: options.snapshotEveryMs },
        backend,
      );
      await log.start();
      started.push(log);
      return { log, fold };
    },
    async cleanup(): Promise<void> {
      await Promise.all(started.map((l) => l.stop()));
      started.length = 0;
      await Promise.all(prefixes.map((p) => dropPrefix(p)));
      prefixes.length = 0;
    },
  };
}
