// A worker-thread server for tests whose main thread blocks (the blocking bridge): on each
// connection it writes its greeting after `delayMs`, then echoes what it reads.
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const server = net.createServer((socket) => {
  setTimeout(() => socket.write(workerData.greeting), workerData.delayMs);
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
