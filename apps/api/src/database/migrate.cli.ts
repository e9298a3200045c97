import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../platform/bootstrap';

/**
 * `npm run migrate`: applies every committed migration (the API also does this at start).
 * `npm run migrate -- --revert` undoes the last one.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { revert: { type: 'boolean' } }, strict: true });
  const config = loadConfig(process.env);
  const log = { info: (m: string) => console.log(m), warn: (m: string) => console.error(m) };
  const { dataSource, embedded } = await openDatabase(config, log, { reuseRunningEmbedded: true });
  try {
    if (values.revert) {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
    } else {
      console.log('schema is up to date');
    }
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
