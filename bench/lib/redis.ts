/** The Redis the redis-mode (`shared*`) scenarios use, as the tests do. */
import type Redis from 'ioredis';
import { dropPrefix, uniquePrefix } from '../../test/helpers/redis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A Beacon's settings for redis mode under `prefix`. */
export function redisEnv(prefix: string, extra: Record<string, string> = {}) {
  return { STATE_BACKEND: 'redis', REDIS_URL, REDIS_PREFIX: prefix, ...extra };
}

/** Redis's INFO used_memory, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Runs `measure` under a REDIS_PREFIX no other run uses, and deletes its keys after. */
export async function withPrefix<T>(name: string, measure: (prefix: string) => Promise<T>) {
  const prefix = uniquePrefix(name);
  try {
    return await measure(prefix);
  } finally {
    await dropPrefix(prefix, REDIS_URL);
  }
}
