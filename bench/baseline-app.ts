/**
 * The yardstick for every benchmark, started by bench/run.ts as its own process:
 *  - `/trivial/...`: a bare NestJS-express app with handlers that do nothing, i.e.
 *    what the framework itself can do on this machine;
 *  - `/seed/metrics/...`: seed 000's algorithm (append samples; on every read copy,
 *    filter by window, sort, pick ranks), the reference our reads are compared to.
 * Usage: PORT=… node -r ts-node/register/transpile-only bench/baseline-app.ts
 */
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { nearestRankIndex } from '../src/common/percentile';

@Controller('trivial')
class TrivialController {
  @Post('metrics/:id/latency')
  @HttpCode(202)
  record(): void {}

  /** The rockets contract at its barest: parse the body, answer the same 202 JSON. */
  @Post('messages')
  @HttpCode(202)
  message(@Body() body: { metadata: { channel: string; messageNumber: number } }): object {
    const { channel, messageNumber } = body.metadata;
    return { channel, messageNumber, status: 'applied' };
  }

  @Get('metrics/:id')
  get(@Param('id') id: string): object {
    return { MetricID: id, Count: 0, P50: null, P95: null, P99: null };
  }
}

const WINDOW_MS = 60_000;
const MAX_SAMPLES = 10_000;

/** Seed 000: samples in a slice, window applied and sorted at read time. */
@Controller('seed/metrics')
class SeedReferenceController {
  private readonly metrics = new Map<string, { v: number; at: number }[]>();

  @Post(':id/latency')
  @HttpCode(202)
  record(@Param('id') id: string, @Body() body: { latency_ns: number }): void {
    let samples = this.metrics.get(id);
    if (!samples) this.metrics.set(id, (samples = []));
    samples.push({ v: body.latency_ns, at: Date.now() });
    if (samples.length > MAX_SAMPLES) samples.shift();
  }

  @Get(':id')
  get(@Param('id') id: string): object {
    const copy = [...(this.metrics.get(id) ?? [])];
    const cutoff = Date.now() - WINDOW_MS;
    // Generous to the seed: a typed-array sort, the fastest sort JavaScript has.
    const live = Float64Array.from(copy.filter((s) => s.at > cutoff).map((s) => s.v)).sort();
    const pick = (p: number) => (live.length ? live[nearestRankIndex(p, live.length)] : null);
    return { MetricID: id, Count: live.length, P50: pick(50), P95: pick(95), P99: pick(99) };
  }
}

@Module({ controllers: [TrivialController, SeedReferenceController] })
class BaselineModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(BaselineModule, { logger: false });
  // The same accept queue as Beacon's (HTTP_MAX_CONNECTIONS' default as the backlog).
  const listen = app.listen.bind(app) as unknown as (
    p: number,
    h: string,
    b: number,
  ) => Promise<unknown>;
  await listen(Number(process.env.PORT), '127.0.0.1', 10_000);
}

void main();
