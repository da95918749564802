import { writeFileSync } from 'node:fs';
import { Container, StoreClosedError, TOKENS, coreModule, kinds } from '@harbormaster/core';
import { describe, expect, it } from 'vitest';
import { NotAStoreDatabaseError, sqliteStoreModule } from './index.js';
import { tempDatabase } from '../test/temp-database.js';

describe('sqliteStoreModule', () => {
  it('binds the store that coreModule builds the API server on, and closes it on unbind', async () => {
    const path = tempDatabase();
    const container = new Container();
    container.loadSync(sqliteStoreModule({ path, compaction: false }), coreModule());
    const api = container.get(TOKENS.ApiServer);
    const store = container.get(TOKENS.Store);
    expect(api.store).toBe(store);
    expect(container.get(TOKENS.Store)).toBe(store);

    await api.ready();
    const created = await api.client.create(kinds.ConfigMap, {
      metadata: { name: 'settings', namespace: 'default' },
      data: { mode: 'fast' },
    });
    const read = await api.client.get(kinds.ConfigMap, { namespace: 'default', name: 'settings' });
    expect(read.data).toEqual({ mode: 'fast' });
    expect(read.metadata.resourceVersion).toBe(created.metadata.resourceVersion);

    await api.close();
    await container.unbindAll();
    await expect(store.revision()).rejects.toBeInstanceOf(StoreClosedError);

    // The object is in the file: a new container on it reads it back.
    const again = new Container();
    again.loadSync(sqliteStoreModule({ path, compaction: false }), coreModule());
    const reopened = again.get(TOKENS.ApiServer);
    expect((await reopened.client.get(kinds.ConfigMap, { namespace: 'default', name: 'settings' })).data).toEqual({ mode: 'fast' });
    await reopened.close();
    await again.unbindAll();
  });

  it('raises the errors of opening the file when the store is resolved', () => {
    const path = tempDatabase();
    writeFileSync(path, 'not a database, '.repeat(100));
    const container = new Container();
    container.loadSync(sqliteStoreModule({ path }), coreModule());
    expect(() => container.get(TOKENS.Store)).toThrow(NotAStoreDatabaseError);
  });
});
