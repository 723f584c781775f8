/** What `npm run bench -- [mode] [--name value | --name=value | --flag]...` asked for. */
export interface BenchArguments {
  /** The first word that is not a flag (default: `compare`). */
  mode: string;
  /** Flags by name, without the dashes; a flag without a value is `true`. */
  flags: Map<string, string | true>;
}

/** Reads the mode and flags from the command line (`process.argv.slice(2)`). */
export function parseArguments(argv: string[]): BenchArguments {
  const flags = new Map<string, string | true>();
  let mode: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (!word.startsWith('--')) {
      mode ??= word;
      continue;
    }
    const [name, value] = word.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const next = argv[index + 1];
    if (value !== undefined) flags.set(name, value);
    else if (next !== undefined && !next.startsWith('--')) flags.set(name, argv[++index]!);
    else flags.set(name, true);
  }
  return { mode: mode ?? 'compare', flags };
}

/** A flag's text, else the environment variable's, else undefined. */
export function textOption(args: BenchArguments, name: string, environmentName: string): string | undefined {
  const flag = args.flags.get(name);
  if (typeof flag === 'string') return flag;
  return process.env[environmentName] || undefined;
}

/** A comma-separated flag or environment variable as a list, else `fallback`. */
export function listOption(args: BenchArguments, name: string, environmentName: string, fallback: string[]): string[] {
  const text = textOption(args, name, environmentName);
  return text ? text.split(',').map((item) => item.trim()).filter(Boolean) : fallback;
}

/** A numeric flag or environment variable, else `fallback`; throws on a value that is not a number. */
export function numberOption(args: BenchArguments, name: string, environmentName: string, fallback: number): number {
  const text = textOption(args, name, environmentName);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`--${name} (${environmentName}) must be a number, not ${text}`);
  return value;
}
