import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { USAGE, parseCli } from './config';
import { parseScenarioText } from './scenario.rules';
import { Simulation } from './simulation';

/** `npm run simulate -- --scenario <file>`: see USAGE and docs/simulator.md. */
async function main(): Promise<number> {
  const parsed = parseCli(process.argv.slice(2), process.env, new Date());
  if (!parsed.ok) {
    if (parsed.help) {
      console.log(USAGE);
      return 0;
    }
    console.error(`simulator: ${parsed.errors.join('\n  ')}\n\n${USAGE}`);
    return 2;
  }
  const config = parsed.config;
  if (!existsSync(config.scenarioFile)) {
    console.error(`simulator: scenario file ${config.scenarioFile} not found`);
    return 2;
  }
  const scenario = parseScenarioText(
    readFileSync(config.scenarioFile, 'utf8'),
    config.scenarioFile,
  );
  if (!scenario.ok) {
    console.error(
      `simulator: ${config.scenarioFile} is not a valid scenario:\n  ${scenario.errors.join('\n  ')}`,
    );
    return 2;
  }
  let token = config.token;
  if (token === undefined && existsSync(config.tokenFile))
    token = readFileSync(config.tokenFile, 'utf8').trim();
  if (token === undefined || token === '') {
    console.error(
      `simulator: no API token: pass --token, set ORFLEET_API_TOKEN, or keep one in ${config.tokenFile}\n` +
        '  (npm run token -- --role admin --name simulator)',
    );
    return 2;
  }

  const simulation = await Simulation.start({
    scenario: scenario.scenario,
    apiUrl: config.apiUrl,
    token,
    mqttUrl: config.mqttUrl,
    dataDir: config.dataDir,
    extraFaults: config.faults,
    progressMs: config.progressMs,
    connectPerS: config.connectPerS,
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      console.log(`simulator: ${why}; disconnecting the fleet`);
      simulation.stop().then(
        () => resolve(0),
        (error: unknown) => {
          console.error('simulator: stop failed:', error);
          resolve(1);
        },
      );
    };
    const endAt = Math.min(
      config.durationMs === undefined ? Infinity : Date.now() + config.durationMs,
      config.untilMs ?? Infinity,
    );
    if (Number.isFinite(endAt)) setTimeout(() => stop('time is up'), endAt - Date.now()).unref();
    process.once('SIGINT', () => stop('interrupted'));
    process.once('SIGTERM', () => stop('terminated'));
    if (process.stdin.readable) {
      const lines = createInterface({ input: process.stdin });
      lines.on('line', (line) => {
        if (line.trim() === '') return;
        for (const answer of simulation.command(line).split('\n'))
          console.log(`simulator: ${answer}`);
      });
      process.once('exit', () => lines.close());
    }
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`simulator: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
