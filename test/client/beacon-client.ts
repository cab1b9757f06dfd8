import createClient, { Client, Middleware } from 'openapi-fetch';
import { checkAgainstSpec } from './spec-check';
import type { paths } from './schema';

export type BeaconClient = Client<paths>;

const specCheck: Middleware = {
  async onResponse({ request, response }) {
    const text = await response.clone().text();
    checkAgainstSpec(
      request.method,
      request.url,
      response.status,
      response.headers.get('content-type'),
      text,
    );
    return undefined;
  },
};

/** A client typed from openapi/openapi.json that also checks every answer against it. */
export function beaconClient(baseUrl: string): BeaconClient {
  const client = createClient<paths>({ baseUrl });
  client.use(specCheck);
  return client;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: <T = unknown>() => T;
}

/**
 * For what the typed client cannot send: malformed JSON, wrong types, odd paths.
 * The answer is still checked against the spec.
 */
export async function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = body === undefined
    ? {}
    : { 'content-type': 'application/json' },
): Promise<RawResponse> {
  const url = new URL(path, baseUrl).toString();
  const res = await fetch(url, { method, body, headers });
  const text = await res.text();
  checkAgainstSpec(method, url, res.status, res.headers.get('content-type'), text);
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}
