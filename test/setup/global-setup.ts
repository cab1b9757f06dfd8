import { setup as postgres } from './postgres';
import { setup as redis } from './redis';

export default async function setup(): Promise<void> {
  await postgres();
  await redis();
}
