/**
 * `npm run bench -- --url URL SCENARIO [options]`: presence load against a homeserver on
 * this machine, through the standard Client-Server API only. See bench/README.md.
 */
import { USAGE, UsageError, parseBenchArgs } from './lib/args.js';
import { runBench } from './lib/run.js';

async function main(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const quiet = o.quiet;
  const t0 = Date.now();
  const log = (msg: string) => {
    if (!quiet) process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
  };
  // Every run is bounded, setup included: a stuck server must not hold the machine forever.
  const limit = o.maxTotal;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: stopped after --max-total ${limit}s\n`);
    process.exit(3);
  }, limit * 1000);
  watchdog.unref();
  const out = await runBench(o, `npm run bench -- ${argv.join(' ')}`, log);
  process.stdout.write(`${out.table}\n\njson: ${out.jsonPath}\nhtml: ${out.htmlPath}\n`);
  const notes = out.report.runs.flatMap((r) => r.notes.map((n) => `${r.name}: ${n}`));
  if (notes.length) process.stdout.write(`notes:\n${notes.map((n) => `  ${n}`).join('\n')}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
