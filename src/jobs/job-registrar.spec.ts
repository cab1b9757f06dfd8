import { Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { BeaconConfigModule } from '../config/config.module';
import { JobRegistrar } from './job-registrar';
import { JobsModule } from './jobs.module';
import { Periodic } from './periodic';

class DemoSettings {
  static readonly section = 'Demo';
  DEMO_EVERY_MS = 1000;
  DEMO_ENABLED = 1;
}

@Injectable()
class DemoService {
  calls = 0;
  /** What the next run does: resolve, reject, or hang until released. */
  next: () => Promise<void> = () => Promise.resolve();

  @Periodic({ name: 'demo', settings: DemoSettings, every: 'DEMO_EVERY_MS' })
  run(): Promise<void> {
    this.calls++;
    return this.next();
  }

  @Periodic({
    name: 'demo-off',
    settings: DemoSettings,
    every: 'DEMO_EVERY_MS',
    enabledWhen: (s) => s.DEMO_ENABLED === 0,
  })
  off(): void {
    throw new Error('a job switched off never runs');
  }
}

async function boot(jobsEnabled: boolean) {
  const module = await Test.createTestingModule({
    imports: [
      BeaconConfigModule.forRoot({ JOBS_ENABLED: String(jobsEnabled) }),
      ScheduleModule.forRoot(),
      JobsModule,
    ],
    providers: [DemoService, { provide: DemoSettings, useValue: new DemoSettings() }],
  }).compile();
  const app = module.createNestApplication({ logger: false });
  await app.init();
  return {
    app,
    demo: app.get(DemoService),
    registrar: app.get(JobRegistrar),
    registry: app.get(SchedulerRegistry),
  };
}

describe('JobRegistrar', () => {
  let errors: string[];
  let logs: string[];
  let warnings: string[];

  beforeEach(() => {
    jest.useFakeTimers();
    errors = [];
    logs = [];
    warnings = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => {
      warnings.push(String(m));
    });
    jest.spyOn(Logger.prototype, 'error').mockImplementation((m: unknown) => {
      errors.push(String(m));
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation((m: unknown) => {
      logs.push(String(m));
    });
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('runs a declared method at its setting’s interval, on the schedule registry', async () => {
    const { app, demo, registrar, registry } = await boot(true);
    expect(registrar.list().map((j) => [j.name, j.everyMs, j.setting])).toEqual([
      ['demo', 1000, 'DEMO_EVERY_MS'],
    ]);
    expect(registry.getIntervals()).toEqual(['demo']);
    await jest.advanceTimersByTimeAsync(3000);
    expect(demo.calls).toBe(3);
    await app.close();
    expect(registry.getIntervals()).toEqual([]);
    await jest.advanceTimersByTimeAsync(3000);
    expect(demo.calls).toBe(3);
  });

  it('runs nothing with JOBS_ENABLED=false, and says so', async () => {
    const { app, demo, registrar } = await boot(false);
    await jest.advanceTimersByTimeAsync(5000);
    expect(demo.calls).toBe(0);
    expect(registrar.list()).toEqual([]);
    expect(logs.join('\n')).toContain('JOBS_ENABLED=false');
    await app.close();
  });

  it('skips a tick while the previous run is still busy', async () => {
    const { app, demo, registrar } = await boot(true);
    let release = () => {};
    demo.next = () => new Promise<void>((resolve) => (release = resolve));
    await jest.advanceTimersByTimeAsync(3500);
    expect(demo.calls).toBe(1);
    expect(registrar.list()[0].skipped).toBe(2);
    expect(warnings).toEqual([]);
    // A run that never settles is said once, not hidden behind the skips.
    await jest.advanceTimersByTimeAsync(20_000);
    expect(registrar.list()[0].skipped).toBe(22);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /job demo has been running for 10 of its intervals \(DEMO_EVERY_MS\)/,
    );
    demo.next = () => Promise.resolve();
    release();
    await jest.advanceTimersByTimeAsync(1000);
    expect(demo.calls).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(registrar.list()[0].runs).toBe(2);
    await app.close();
  });

  it('logs a failing job once per outage, and once when it recovers', async () => {
    const { app, demo, registrar } = await boot(true);
    demo.next = () => Promise.reject(new Error('database away'));
    await jest.advanceTimersByTimeAsync(4000);
    expect(demo.calls).toBe(4);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/job demo failed: .*database away.*DEMO_EVERY_MS/);
    demo.next = () => Promise.resolve();
    await jest.advanceTimersByTimeAsync(1000);
    expect(logs.filter((l) => l.includes('demo works again after 4 failed runs'))).toHaveLength(1);
    demo.next = () => Promise.reject(new Error('away again'));
    await jest.advanceTimersByTimeAsync(2000);
    expect(errors).toHaveLength(2);
    expect(registrar.list()[0]).toMatchObject({ runs: 1, failures: 6, failingRuns: 2 });
    await app.close();
  });
});
