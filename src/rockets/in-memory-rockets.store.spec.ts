import { InMemoryRocketsStore } from './in-memory-rockets.store';
import { rocketsStoreContract } from './rockets.store.contract';

rocketsStoreContract('InMemoryRocketsStore', (limits) => new InMemoryRocketsStore(limits));
