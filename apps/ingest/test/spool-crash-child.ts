// Child of spool.crash.int-spec.ts: appends `rec-<i>` from `start` on, 200 in flight, groups
// gathered for `windowMs`, and tells the parent over IPC how many of its appends have resolved,
// until the parent kills it.
import { Spool } from '../src/spool/spool';

const [dir, startArg, windowArg] = process.argv.slice(2);
const start = Number(startArg);
const IN_FLIGHT = 200;
const LIMIT = 1_000_000; // a parent that never kills: stop on our own, its test fails

async function main() {
  const spool = await Spool.open({
    dir: dir!,
    quotaBytes: 1 << 30,
    groupCommitMs: Number(windowArg),
    maxGroup: 100_000, // only the window closes a group: a kill lands inside one
  });
  let next = start;
  let resolved = 0;
  const appender = async () => {
    while (next < start + LIMIT) {
      await spool.append(`rec-${next++}`);
      resolved++;
      process.send!(resolved);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, appender));
  await spool.close();
  process.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
