// The `pushwire` command line. Each command lives in its own module under commands/ and is loaded on use.

export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, () => Promise<Command>> = {
  echo: async () => (await import('./commands/echo.js')).command,
  serve: async () => (await import('./commands/serve.js')).command,
};

async function help(): Promise<string> {
  const lines = ['Usage: pushwire <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands))
    lines.push(`  ${name.padEnd(8)} ${(await load()).summary}`);
  lines.push('', 'Run `pushwire <command> --help` for the options of a command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${await help()}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`pushwire: unknown command '${name}'\n\n${await help()}\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\n${command.usage}\n`);
    return 0;
  }
  return command.run(rest);
}
