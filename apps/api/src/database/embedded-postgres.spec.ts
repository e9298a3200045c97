import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config';
import { EMBEDDED_POSTGRES_MISSING, startEmbeddedPostgres } from './embedded-postgres';
import type { EmbeddedPostgresLoader } from './embedded-postgres';

const log = { info: () => undefined, warn: () => undefined };

describe('startEmbeddedPostgres where the package is not installed (the container image)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'orfleet-embedded-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // a real "not installed": Node's own error for a package that is not there
  const missing =
    (name: string): EmbeddedPostgresLoader =>
    () =>
      import(name) as ReturnType<EmbeddedPostgresLoader>;

  it.each(['embedded-postgres-absent', '@embedded-postgres/absent-platform'])(
    'without %s: a configuration error asking for DATABASE_URL, and nothing written',
    async (name) => {
      const dataDir = path.join(dir, 'pg');
      const start = startEmbeddedPostgres(dataDir, 5433, log, missing(name));
      await expect(start).rejects.toBeInstanceOf(ConfigError);
      await expect(start).rejects.toThrow(EMBEDDED_POSTGRES_MISSING);
      expect(EMBEDDED_POSTGRES_MISSING).toMatch(/^DATABASE_URL: not set.*postgres:\/\//);
      expect(existsSync(dataDir)).toBe(false);
      expect(existsSync(`${dataDir}.password`)).toBe(false);
    },
  );

  it('any other failure to load is passed on as it is', async () => {
    const broken = new Error('disk on fire');
    const start = startEmbeddedPostgres(path.join(dir, 'pg'), 5433, log, () =>
      Promise.reject(broken),
    );
    await expect(start).rejects.toBe(broken);
  });

  it('a missing module that is not the embedded PostgreSQL is not taken for it', async () => {
    const start = startEmbeddedPostgres(path.join(dir, 'pg'), 5433, log, missing('left-pad-x'));
    await expect(start).rejects.not.toBeInstanceOf(ConfigError);
  });
});
