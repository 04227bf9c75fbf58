#!/usr/bin/env node
// A tiny TCP round-robin balancer for the local cluster: each new client connection goes to the next API process.
// TCP, not HTTP: keep-alive connections (and SSE streams) stay on the process they were first given; a backend that
// refuses the connection is skipped. Usage: round-robin.js <listen port> <host:port>[,<host:port>...]
'use strict';
const net = require('node:net');

const [port, list] = process.argv.slice(2);
const targets = (list || '').split(',').filter(Boolean).map((t) => {
  const [host, p] = t.split(':');
  return { host, port: Number(p) };
});
if (!Number(port) || !targets.length) {
  console.error('usage: round-robin.js <listen port> <host:port>[,<host:port>...]');
  process.exit(2);
}

let next = 0;
function connect(client, tried) {
  const target = targets[next++ % targets.length];
  const upstream = net.connect(target);
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    upstream.setNoDelay(true);
    client.pipe(upstream).pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    client.resume();
  });
  upstream.on('error', (error) => {
    // Refused before connecting: try the next backend, until each was tried once.
    if (!connected && tried + 1 < targets.length) return connect(client, tried + 1);
    if (!connected) console.error(`no backend answers (${error.message})`);
    client.destroy();
  });
}

const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (client) => {
  client.on('error', () => client.destroy());
  connect(client, 0);
});
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`round-robin on 127.0.0.1:${port} -> ${targets.map((t) => `${t.host}:${t.port}`).join(', ')}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
