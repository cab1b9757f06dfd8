import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Environment, loadEnvironment } from './environment';

const KEY = 'beacon';

/**
 * Wraps @nestjs/config so that the environment is read from an explicit source
 * (`process.env` in production, a literal in tests) and validated once. The validated
 * object is stored under one key, so @nestjs/config never copies defaults back into
 * `process.env` and test apps built in one process cannot leak settings into each other.
 */
@Global()
@Module({})
export class BeaconConfigModule {
  static forRoot(source: Record<string, unknown> = process.env): DynamicModule {
    return {
      module: BeaconConfigModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          skipProcessEnv: true,
          validate: () => ({ [KEY]: loadEnvironment(source) }),
        }),
      ],
      providers: [
        {
          provide: Environment,
          useFactory: (config: ConfigService) => config.getOrThrow<Environment>(KEY),
          inject: [ConfigService],
        },
      ],
      exports: [Environment],
    };
  }
}
