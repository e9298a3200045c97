// An API token the launcher keeps for itself in a file: made once, reused on the next start, and
// made again if the database no longer knows it (a wiped ./data/pg). `npm start` keeps the
// ingest's broker account this way, `npm start -- --demo` the admin token it prints.
const { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

/**
 * The token in `file` (mode 0600) if the database still has it, unrevoked, with `role`; else a
 * new one named `name`, recorded as created by `createdBy`, written there.
 */
async function keptToken({ root, databaseUrl, file, name, role, createdBy }) {
  const { Client } = require('pg');
  const { newSecret, sha256Hex, API_TOKEN_PREFIX } = require(
    path.join(root, 'dist/apps/api/src/auth/token-secret.js'),
  );
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    if (existsSync(file)) {
      const token = readFileSync(file, 'utf8').trim();
      const { rowCount } = await db.query(
        `SELECT 1 FROM api_token WHERE secret_sha256 = $1 AND revoked_at IS NULL AND role = $2`,
        [sha256Hex(token), role],
      );
      if (rowCount === 1) return token;
    }
    const token = newSecret(API_TOKEN_PREFIX);
    await db.query(
      `INSERT INTO api_token (name, role, secret_sha256, created_by) VALUES ($1, $2, $3, $4)`,
      [name, role, sha256Hex(token), createdBy],
    );
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return token;
  } finally {
    await db.end();
  }
}

module.exports = { keptToken };
