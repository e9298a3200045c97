import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../platform/bootstrap';
import { ApiToken } from './api-token.entity';
import { ROLES } from './roles';
import type { Role } from './roles';
import { createApiToken } from './tokens.service';

const USAGE = `usage: npm run token -- --role <${ROLES.join('|')}> --name <name>`;

/** `npm run token -- --role admin --name ops`: creates an API token and prints it once. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  const role = values.role as Role | undefined;
  const name = values.name?.trim();
  if (role === undefined || !ROLES.includes(role) || !name || name.length > 100) {
    console.error(USAGE);
    process.exit(2);
  }
  const config = loadConfig(process.env);
  const quiet = { info: () => undefined, warn: (m: string) => console.error(m) };
  const { dataSource, embedded } = await openDatabase(config, quiet, {
    reuseRunningEmbedded: true,
  });
  try {
    const created = await createApiToken(dataSource.getRepository(ApiToken), {
      name,
      role,
      createdBy: `cli (${process.env['USER'] ?? 'unknown user'})`,
      now: new Date(),
    });
    console.log(`created ${created.role} token "${created.name}" (id ${created.id}).`);
    console.log('It is shown once; store it now:');
    console.log(created.token);
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
