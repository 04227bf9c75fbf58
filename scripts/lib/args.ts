/** A small `--name value` / `--flag` parser for the scripts (no dependency): unknown options are an error. */
export interface OptionSpec {
  name: string;
  /** Takes a value (`--users 10000`); otherwise a boolean flag. */
  value?: 'number' | 'string';
  help: string;
  default?: string | number | boolean;
}

export type ParsedArgs = Record<string, string | number | boolean | undefined>;

export function parseArgs(argv: string[], specs: OptionSpec[], usage: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedArgs = Object.fromEntries(specs.map((s) => [s.name, s.default]));
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    if (raw === '--help' || raw === '-h') {
      printHelp(specs, usage);
      process.exit(0);
    }
    const [flag, inline] = raw.split('=', 2);
    const spec = flag.startsWith('--') ? byName.get(flag.slice(2)) : undefined;
    if (!spec) fail(`unknown option ${raw} (see --help)`);
    if (!spec.value) {
      out[spec.name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) fail(`${flag} needs a value`);
    if (spec.value === 'number') {
      const n = Number(value.replace(/_/g, ''));
      if (!Number.isFinite(n) || n < 0) fail(`${flag} must be a non-negative number (got "${value}")`);
      out[spec.name] = n;
    } else {
      out[spec.name] = value;
    }
  }
  return out;
}

function printHelp(specs: OptionSpec[], usage: string): void {
  const lines = specs.map((s) => {
    const left = `  --${s.name}${s.value ? ` <${s.value === 'number' ? 'n' : 'value'}>` : ''}`;
    const def = s.default !== undefined && s.default !== false ? ` (default ${s.default})` : '';
    return `${left.padEnd(28)} ${s.help}${def}`;
  });
  process.stdout.write(`${usage}\n\nOptions:\n${lines.join('\n')}\n${'  --help'.padEnd(28)} this text\n`);
}

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}
