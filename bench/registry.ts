/**
 * Every scenario, in the order a run measures and prints them (BENCH_ONLY picks some; it
 * does not reorder them). A new scenario is a file in bench/scenarios/ and a line here.
 */
import type { Scenario } from './lib/scenario';
import { adapters } from './scenarios/adapters';
import { batch } from './scenarios/batch';
import { counter } from './scenarios/counter';
import { counterIo } from './scenarios/counter-io';
import { counterLoad } from './scenarios/counter-load';
import { durable } from './scenarios/durable';
import { durablePosts } from './scenarios/durable-posts';
import { durableRestart } from './scenarios/durable-restart';
import { hardening } from './scenarios/hardening';
import { idle } from './scenarios/idle';
import { memory } from './scenarios/memory';
import { post } from './scenarios/post';
import { prometheus } from './scenarios/prometheus';
import { read } from './scenarios/read';
import { rocketsChurn } from './scenarios/rockets-churn';
import { rocketsKeepalive } from './scenarios/rockets-keepalive';
import { rocketsList } from './scenarios/rockets-list';
import { compression } from './scenarios/compression';
import { rocketsProgram } from './scenarios/rockets-program';
import { rows } from './scenarios/rows';
import { shared } from './scenarios/shared';
import { sharedCatchup } from './scenarios/shared-catchup';
import { sharedLag } from './scenarios/shared-lag';
import { sharedReplicas } from './scenarios/shared-replicas';
import { sharedStream } from './scenarios/shared-stream';
import { sharedWs } from './scenarios/shared-ws';
import { statsd } from './scenarios/statsd';
import { streamHistory } from './scenarios/stream-history';
import { streamIngest } from './scenarios/stream-ingest';
import { tracing } from './scenarios/tracing';
import { udp } from './scenarios/udp';
import { ws } from './scenarios/ws';

export const SCENARIOS: readonly Scenario[] = [
  idle,
  shared,
  sharedLag,
  sharedReplicas,
  sharedCatchup,
  sharedStream,
  sharedWs,
  post,
  adapters,
  durable,
  durableRestart,
  durablePosts,
  prometheus,
  tracing,
  hardening,
  read,
  batch,
  memory,
  counter,
  counterIo,
  counterLoad,
  rocketsProgram,
  rocketsKeepalive,
  rocketsList,
  compression,
  rocketsChurn,
  streamHistory,
  streamIngest,
  udp,
  statsd,
  rows,
  ws,
];
