import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { RequestCounterSettings } from './request-counter.settings';
import { RequestCounterService } from './request-counter.service';

/**
 * Counts requests on the HTTP server itself, ahead of Express. A Nest middleware would
 * miss requests that fail earlier in the chain (a malformed JSON body makes body-parser
 * skip every later middleware), and counting must not depend on how a request ends.
 */
@Injectable()
export class RequestCounterHook implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly counter: RequestCounterService,
    private readonly config: RequestCounterSettings,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!this.config.COUNTER_ENABLED || !server) return;
    const hit = () => this.counter.hit();
    server.prependListener('request', hit);
    countUpgrades(server, hit);
  }
}

/**
 * Node emits 'upgrade' only when someone listens for it; otherwise an upgrade request is
 * an ordinary 'request' and is counted there. So the counting listener rides along with
 * whatever handles upgrades (a WebSocket server), always first, and leaves with it:
 * listening alone would leave upgrade requests unanswered.
 */
function countUpgrades(server: Server, hit: () => void): void {
  const mine = () => server.listeners('upgrade').includes(hit);
  server.on('newListener', (event: string | symbol, listener: unknown) => {
    if (event === 'upgrade' && listener !== hit && !mine()) server.prependListener('upgrade', hit);
  });
  server.on('removeListener', (event: string | symbol, listener: unknown) => {
    if (
      event === 'upgrade' &&
      listener !== hit &&
      server.listenerCount('upgrade') === 1 &&
      mine()
    ) {
      server.removeListener('upgrade', hit);
    }
  });
  if (server.listenerCount('upgrade') > 0) server.prependListener('upgrade', hit);
}
