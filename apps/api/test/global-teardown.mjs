import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  const state = globalThis.orfleetTestPg;
  if (state === undefined) return;
  try {
    await state.pg.stop();
  } finally {
    rmSync(state.dir, { recursive: true, force: true });
  }
}
