import { DynamicModule, Global, Module } from '@nestjs/common';
import { loadSettings } from './load-settings';

/**
 * Validates every module's settings once, from an explicit source (`process.env` in
 * production, a literal in tests, so that apps built in one test process never share
 * configuration), and provides each group under its class: a module's constructor asks
 * for `LatencySettings`, `HttpSettings`… and gets only that slice, typed and validated.
 */
@Global()
@Module({})
export class BeaconConfigModule {
  static forRoot(source: Record<string, unknown> = process.env): DynamicModule {
    const providers = loadSettings(source)
      .entries()
      .map(([cls, settings]) => ({ provide: cls, useValue: settings }));
    return {
      module: BeaconConfigModule,
      providers,
      exports: providers.map((p) => p.provide),
    };
  }
}
