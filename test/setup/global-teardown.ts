import { teardown as postgres } from './postgres';
import { teardown as redis } from './redis';

export default async function teardown(): Promise<void> {
  await Promise.all([postgres(), redis()]);
}
