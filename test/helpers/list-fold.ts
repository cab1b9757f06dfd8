import { Fold } from '../../src/shared-state/fold';

/** The simplest fold that can tell order, loss and doubling apart: the list of ops applied. */
export class ListFold implements Fold<number, number> {
  items: number[] = [];
  apply(op: number): number {
    this.items.push(op);
    return this.items.length;
  }
  snapshot(): Buffer {
    return Buffer.from(JSON.stringify(this.items));
  }
  restore(data: Buffer): void {
    this.items = JSON.parse(data.toString()) as number[];
  }
}

/** The same without snapshots: a time-bounded fold's log. */
export class PlainListFold implements Fold<number, number> {
  items: number[] = [];
  apply(op: number): number {
    this.items.push(op);
    return this.items.length;
  }
}
