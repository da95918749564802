import { storeConformanceSuite } from '@harbormaster/core/testing';
import { tempDatabase } from '../test/temp-database.js';
import { sqliteStore } from './sqlite-store.js';

storeConformanceSuite('sqliteStore', () => sqliteStore({ path: tempDatabase() }));
