/**
 * What a body that never reached a controller gets, whichever adapter's parser refused it;
 * error.filter.ts words the answer once for both.
 */
export type BodyErrorAnswer =
  | { kind: 'too-large' }
  | { kind: 'unsupported-encoding'; encoding: string }
  | { kind: 'undecodable'; encoding: string }
  | { kind: 'client'; status: number; message: string };

/** A body refused by the edge's own parsing (fastify-edge.ts), with the answer it gets. */
export class BodyRefusal extends Error {
  constructor(readonly answer: BodyErrorAnswer) {
    super(answer.kind);
  }
}
