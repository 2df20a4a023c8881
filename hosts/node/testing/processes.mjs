// Test helpers that start ./sink.mjs as a process of its own and read what it prints.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';

/** Starts the sink; `{port, messages, stop()}` where `messages` fills as the sink reports. */
export async function startSink() {
  const child = spawn(process.execPath, [new URL('./sink.mjs', import.meta.url).pathname], {
    env: { ...process.env, SINK_REPORT: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const messages = [];
  const [first] = await once(lines, 'line');
  lines.on('line', (line) => messages.push(JSON.parse(line)));
  return {
    port: JSON.parse(first).port,
    messages,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
