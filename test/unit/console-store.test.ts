import { openStore } from '../../src/console/store-connection.js';
import { describeResultStore } from '../support/console-store-contract.js';

describeResultStore('SQLite', async () => openStore({ kind: 'sqlite', path: ':memory:' }));
