// The `pushwire` command line. Each command lives in its own module under commands/ and is loaded on use.
import { readFileSync } from 'node:fs';
import { type Command, UsageError } from './commands/command.js';
import { nearest } from './suggest.js';

const commands: Record<string, () => Promise<Command>> = {
  echo: async () => (await import('./commands/echo.js')).command,
  serve: async () => (await import('./commands/serve.js')).command,
};

/** The version in this package's package.json (src/ and dist/ both sit one level below it). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function help(): Promise<string> {
  const lines = ['Usage: pushwire <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands))
    lines.push(`  ${name.padEnd(8)} ${(await load()).summary}`);
  lines.push(
    '',
    'Options:',
    '  --version, -v   print the version',
    '  --help, -h      print this help',
    '',
    'Run `pushwire help <command>` for the options of a command.',
  );
  return lines.join('\n');
}

function unknownCommand(name: string): number {
  const guess = nearest(name, Object.keys(commands));
  const hint = guess === undefined ? '' : ` Did you mean '${guess}'?`;
  process.stderr.write(
    `pushwire: unknown command '${name}'.${hint}\nRun 'pushwire --help' for the commands.\n`,
  );
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(`${await help()}\n`);
    return 0;
  }
  const wanted = name === 'help' ? (rest[0] as string) : name;
  const load = commands[wanted];
  if (!load) return unknownCommand(wanted);
  const command = await load();
  if (name === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\n${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(
      `pushwire ${wanted}: ${err.message}\nRun 'pushwire help ${wanted}' for its options.\n`,
    );
    return 2;
  }
}
