import { CanActivate, Module } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import {
  ThrottlerGuard,
  ThrottlerModule,
  ThrottlerModuleOptions,
  ThrottlerStorage,
  getOptionsToken,
  getStorageToken,
} from '@nestjs/throttler';
import { HttpSettings } from './http.settings';

const MINUTE_MS = 60_000;

/**
 * RATE_LIMIT_PER_MINUTE (off by default): each client address gets that many requests a
 * minute, over every route together, on this instance; past it, 429 with Retry-After
 * (and X-RateLimit-* headers on every answer). The probes are exempt (`@SkipThrottle`).
 * Off, no guard runs at all. Counts live in this process: with N instances behind a
 * balancer, a client gets up to N times the limit.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [HttpSettings],
      useFactory: (http: HttpSettings): ThrottlerModuleOptions => ({
        throttlers: [{ ttl: MINUTE_MS, limit: Math.max(1, http.RATE_LIMIT_PER_MINUTE) }],
        // One budget per client, not one per route.
        generateKey: (_context, tracker) => tracker,
        errorMessage: `Too many requests: RATE_LIMIT_PER_MINUTE allows ${http.RATE_LIMIT_PER_MINUTE} a minute per client; retry after the Retry-After seconds`,
      }),
    }),
  ],
  providers: [
    {
      provide: APP_GUARD,
      inject: [HttpSettings, getOptionsToken(), getStorageToken(), Reflector],
      useFactory: (
        http: HttpSettings,
        options: ThrottlerModuleOptions,
        storage: ThrottlerStorage,
        reflector: Reflector,
      ): CanActivate =>
        http.RATE_LIMIT_PER_MINUTE > 0
          ? new ThrottlerGuard(options, storage, reflector)
          : { canActivate: () => true },
    },
  ],
})
export class RateLimitModule {}
