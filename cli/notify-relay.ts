// notify-relay: the public-facing Alipay notify receiver that pushes notifications to kiosks.
// Prints {"ready":true,"url":...} on stdout once listening; logs JSON lines on stderr.
import {
  hashAdminPassword,
  linesPerTurn,
  parseRelayCli,
  RelayConfigError,
  runKioskCommand,
  runReconcileCommand,
  startRelay,
  USAGE,
} from '../backend-bridge/index.ts';

async function main(): Promise<void> {
  if (process.argv[2] === 'hash-password') {
    // From stdin, never argv (it would show in `ps` and the shell history); one trailing newline is not part of it.
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const password = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    try {
      process.stdout.write(`${hashAdminPassword(password)}\n`);
    } catch (err) {
      process.stderr.write(`notify-relay: ${(err as Error).message}\n`);
      process.exit(2);
    }
    return;
  }
  if (process.argv[2] === 'kiosk') {
    try {
      await runKioskCommand(process.argv.slice(3), (line) => process.stdout.write(`${line}\n`));
      return;
    } catch (err) {
      if (!(err instanceof RelayConfigError)) throw err;
      process.stderr.write(`notify-relay: ${err.message}\n(run notify-relay --help)\n`);
      process.exit(2);
    }
  }
  if (process.argv[2] === 'reconcile') {
    try {
      const write = (stream: NodeJS.WriteStream) => (line: string) =>
        stream.write(line.endsWith('\n') ? line : `${line}\n`);
      process.exitCode = await runReconcileCommand(
        process.argv.slice(3),
        process.env,
        write(process.stdout),
        write(process.stderr),
      );
      return;
    } catch (err) {
      if (!(err instanceof RelayConfigError)) throw err;
      process.stderr.write(`notify-relay: ${err.message}\n(run notify-relay --help)\n`);
      process.exit(2);
    }
  }
  let parsed;
  try {
    parsed = parseRelayCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof RelayConfigError) {
      process.stderr.write(`notify-relay: ${err.message}\n(run notify-relay --help)\n`);
      process.exit(2);
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  const lines = linesPerTurn((text) => process.stderr.write(text));
  process.on('exit', lines.flush);
  const log = lines.sink;
  for (const w of parsed.warnings) log(JSON.stringify({ msg: 'config warning', warning: w }));

  const relay = await startRelay({ ...parsed.options, log });
  process.stdout.write(`${JSON.stringify({ ready: true, url: relay.url })}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(JSON.stringify({ msg: 'stopping', signal }));
    relay.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log(JSON.stringify({ msg: 'close failed', error: err instanceof Error ? err.message : String(err) }));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`notify-relay: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
