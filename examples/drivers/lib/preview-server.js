'use strict';
/**
 * The long-running process behind a localproc instance: a tiny HTTP server on 127.0.0.1 that names its instance.
 * Started by examples/drivers/localproc in its own session, so it outlives the driver and is not in the driver's
 * process group (a driver timeout must not take a finished preview down).
 *
 *   node preview-server.js --instance-id ID --name NAME --record FILE [--port N]
 *
 * It reports its port to the driver over the IPC channel, then serves `/` (an HTML page) and `/healthz` (JSON with
 * the instance id, which the driver uses to tell its own server from an unrelated process). A watchdog exits when
 * the record no longer names this process, so a server whose driver died before recording it cannot linger.
 */
const fs = require('node:fs');
const http = require('node:http');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback !== undefined) return fallback;
  process.stderr.write(`preview-server: missing --${name}\n`);
  process.exit(2);
}

const instanceId = arg('instance-id');
const name = arg('name');
const recordFile = arg('record');
const preferredPort = Number(arg('port', '0')) || 0;
const startedAt = new Date().toISOString();

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const server = http.createServer((req, res) => {
  res.setHeader('X-Prewarm-Instance', instanceId);
  if (req.url === '/healthz') {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ instance_id: instanceId, name, pid: process.pid, started_at: startedAt }));
    return;
  }
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(
    `<!doctype html>\n<title>${escapeHtml(name)}</title>\n<h1>Preview environment ${escapeHtml(name)}</h1>\n` +
      `<p>Instance <code>${escapeHtml(instanceId)}</code>, serving since ${startedAt} (pid ${process.pid}).</p>\n`,
  );
});

function listen(port) {
  server.once('error', (err) => {
    // The previous port (kept across stop/start so the URL stays the same) may be taken by now.
    if (err.code === 'EADDRINUSE' && port !== 0) return listen(0);
    process.stderr.write(`preview-server: cannot listen: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    const actual = server.address().port;
    process.stdout.write(`${new Date().toISOString()} ${name} (${instanceId}) listening on http://127.0.0.1:${actual}/\n`);
    if (process.send) process.send({ port: actual });
  });
}

function recordStillNamesUs() {
  try {
    const rec = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
    return rec.instance_id === instanceId && rec.pid === process.pid;
  } catch (err) {
    // A record being rewritten is momentarily unreadable; only a missing one means we were forgotten.
    return err.code !== 'ENOENT';
  }
}

setInterval(() => {
  if (!recordStillNamesUs()) {
    process.stdout.write(`${new Date().toISOString()} record ${recordFile} no longer names this process; exiting\n`);
    process.exit(0);
  }
}, 5000).unref();

process.on('SIGTERM', () => process.exit(0));
// The driver disconnects the IPC channel once it has the port; that is not a reason to stop.
process.on('disconnect', () => undefined);

listen(preferredPort);
