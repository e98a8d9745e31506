/** Runs a parsed command: one scenario, the floor, or a comparison, and writes the reports. */
import { loadavg } from 'node:os';
import type { BenchOptions, InnerScenario } from './args.js';
import { startFloor } from './floor.js';
import { resolveOrigin } from './hs.js';
import type { RunResult } from './measure.js';
import { buildReport, writeReport, type ReportJson, type Side } from './report.js';
import { mergeRuns } from './results.js';
import { prepareFanout } from '../scenarios/fanout.js';
import { preparePopulation } from '../scenarios/population.js';
import type { Log, Prepare, Prepared, Target } from '../scenarios/types.js';

export interface BenchOutput {
  report: ReportJson;
  jsonPath: string;
  htmlPath: string;
  table: string;
}

const PREPARE: Record<InnerScenario, Prepare> = { fanout: prepareFanout, population: preparePopulation };

async function target(url: string, pid: number | undefined): Promise<Target> {
  const { origin, ipv4 } = await resolveOrigin(url);
  return { origin, url, ipv4, pid };
}

/** Runs `rounds` rounds of A then B on prepared targets: A B A B, so drift hits both alike. */
async function alternate(named: [string, Target][], scenario: InnerScenario, o: BenchOptions, log: Log): Promise<{ sides: Side[]; rounds: Side[] }> {
  const prepared: Prepared[] = [];
  try {
    for (const [, t] of named) prepared.push(await PREPARE[scenario](t, o, log));
    const rounds: Side[] = [];
    const per: RunResult[][] = named.map(() => []);
    for (let r = 1; r <= o.rounds; r++) {
      for (let i = 0; i < named.length; i++) {
        log(`round ${r}: ${named[i][0]} (${named[i][1].url})`);
        const res = await prepared[i].run();
        per[i].push(res);
        rounds.push({ name: named[i][0], result: res });
      }
    }
    return { sides: named.map(([name], i) => ({ name, result: mergeRuns(per[i]) })), rounds };
  } finally {
    await Promise.all(prepared.map((p) => p.close()));
  }
}

export async function runBench(o: BenchOptions, command: string, log: Log): Promise<BenchOutput> {
  const loadAtStart = loadavg();
  let sides: Side[];
  let rounds: Side[] | undefined;
  let scenario: string = o.scenario;
  switch (o.scenario) {
    case 'fanout':
    case 'population': {
      const t = await target(o.url!, o.pid);
      const p = await PREPARE[o.scenario](t, o, log);
      try {
        sides = [{ name: t.url, result: await p.run() }];
      } finally {
        await p.close();
      }
      break;
    }
    case 'floor': {
      scenario = `floor-${o.inner}`;
      const floor = await startFloor();
      try {
        const ft: Target = { origin: floor.origin, url: 'floor', ipv4: true, pid: floor.pid, ephemeral: true };
        if (o.url === undefined) {
          const p = await PREPARE[o.inner](ft, o, log);
          try {
            sides = [{ name: 'floor', result: await p.run() }];
          } finally {
            await p.close();
          }
        } else {
          ({ sides, rounds } = await alternate([['floor', ft], ['target', await target(o.url, o.pid)]], o.inner, o, log));
        }
      } finally {
        await floor.stop();
      }
      break;
    }
    case 'compare': {
      scenario = `compare-${o.inner}`;
      ({ sides, rounds } = await alternate([['A', await target(o.url!, o.pid)], ['B', await target(o.urlB!, o.pidB)]], o.inner, o, log));
      break;
    }
  }
  const report = buildReport(scenario, o, command, sides, rounds, loadAtStart);
  return { report, ...writeReport(o.outDir, report, sides) };
}
