import { Injectable, OnApplicationBootstrap, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';

interface Route {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * Which methods each path is served with, read from the controllers once at start: a
 * request that finds no route for its method on a path some route serves is a 405 with
 * `Allow` (RFC 9110 §15.5.6), not a 404. Adapter-independent: both edges ask it.
 */
@Injectable()
export class AllowedMethods implements OnApplicationBootstrap {
  private routes: Route[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onApplicationBootstrap(): void {
    const byPath = new Map<string, Set<string>>();
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      const metatype = wrapper.metatype as object | null;
      if (!instance || !metatype) continue;
      const bases = paths(Reflect.getMetadata(PATH_METADATA, metatype));
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[name];
        const method = Reflect.getMetadata(METHOD_METADATA, handler as object) as
          RequestMethod | undefined;
        if (method === undefined) continue;
        for (const base of bases) {
          for (const sub of paths(Reflect.getMetadata(PATH_METADATA, handler as object))) {
            const path = join(base, sub);
            const methods = byPath.get(path) ?? new Set<string>();
            for (const m of methodNames(method)) methods.add(m);
            byPath.set(path, methods);
          }
        }
      }
    }
    this.routes = [...byPath].map(([path, methods]) => ({ pattern: toPattern(path), methods }));
  }

  /** The methods `path` is served with (sorted, HEAD with GET), or null when none serves it. */
  of(path: string): string[] | null {
    const found = new Set<string>();
    for (const r of this.routes) {
      if (r.pattern.test(path)) for (const m of r.methods) found.add(m);
    }
    if (found.size === 0) return null;
    if (found.has('GET')) found.add('HEAD');
    return [...found].sort();
  }
}

function paths(meta: unknown): string[] {
  if (meta === undefined) return [''];
  return Array.isArray(meta) ? (meta as string[]) : [meta as string];
}

function join(base: string, sub: string): string {
  const parts = [base, sub].flatMap((p) => p.split('/')).filter((p) => p !== '');
  return `/${parts.join('/')}`;
}

function methodNames(method: RequestMethod): string[] {
  if (method === RequestMethod.ALL) return ['DELETE', 'GET', 'PATCH', 'POST', 'PUT'];
  return [RequestMethod[method]];
}

/** `/metrics/:id/latency` as a regular expression over a request's path. */
function toPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((seg) =>
      seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`),
    )
    .join('/');
  // Routing ignores case and a trailing slash, on both adapters: so does this.
  return new RegExp(`^${source}/?$`, 'i');
}
