#!/usr/bin/env node
'use strict';
/**
 * A small platform API for prewarm's built-in http driver: each instance is a real directory under
 * <state dir>/instances/<instance id>. No dependencies; listens on 127.0.0.1 only.
 *
 *   PREWARM_HTTP_DRIVER_SECRET=… node platform-server.js --state-dir DIR [--port N] [--slow]
 *
 * Template:  driver = "http",  config = { url = "http://127.0.0.1:N", secret_ref = "platform" }
 * Controller: the same secret as PREWARM_SECRET_PLATFORM (or "platform" in its --secrets-file).
 *
 *   POST /create  makes the directory and instance.json; answers 201 {"attributes": {"path": …}}.
 *                 With --slow: answers 202 + Location /operations/<n>; the work is done when that is polled.
 *   POST /stop, /start  set "running" in instance.json (422 for an unknown instance: retrying cannot help).
 *   POST /delete  removes the directory; an unknown instance is success.
 *
 * Every request must carry a valid X-Prewarm-Signature (401 otherwise). Answers are remembered by Idempotency-Key
 * (in <state dir>/answers.json, so a restart keeps them): a job the controller re-drives after a crash gets the
 * first answer again instead of a second instance.
 */
const { createHmac, timingSafeEqual } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const stateDir = arg('--state-dir');
const port = Number(arg('--port') ?? 0);
const slow = process.argv.includes('--slow');
const secret = process.env.PREWARM_HTTP_DRIVER_SECRET;
if (!stateDir || !secret) {
  console.error('usage: PREWARM_HTTP_DRIVER_SECRET=… platform-server.js --state-dir DIR [--port N] [--slow]');
  process.exit(2);
}
const instancesDir = path.resolve(stateDir, 'instances');
fs.mkdirSync(instancesDir, { recursive: true });
const answersFile = path.resolve(stateDir, 'answers.json');
const answers = fs.existsSync(answersFile) ? JSON.parse(fs.readFileSync(answersFile, 'utf8')) : {};
/** 202 operations not polled yet: id -> { key, request }. */
const pending = new Map();
let nextOperation = 1;

/** The signature over the raw body, at most 5 minutes old (see examples/notifications/verify.js). */
function signed(header, body) {
  const t = (/(?:^|,)t=(\d+)(?:,|$)/.exec(header || '') || [])[1];
  const sigs = [...(header || '').matchAll(/(?:^|,)v1=([0-9a-f]{64})(?=,|$)/g)].map((m) => Buffer.from(m[1], 'hex'));
  if (!t || sigs.length === 0 || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const want = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return sigs.some((s) => timingSafeEqual(s, want));
}

/** Does the operation; returns the answer to give (and to give again for the same key). */
function perform(req) {
  const id = req.instance && req.instance.id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) return { status: 422, body: { error: 'instance.id is not a safe directory name' } };
  const dir = path.join(instancesDir, id);
  const meta = path.join(dir, 'instance.json');
  switch (req.op) {
    case 'create':
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(meta, JSON.stringify({ id, name: req.instance.name, template: req.template, running: true }));
      return { status: 201, body: { attributes: { path: dir } } };
    case 'start':
    case 'stop': {
      if (!fs.existsSync(meta)) return { status: 422, body: { error: `no instance ${id}` } };
      const m = JSON.parse(fs.readFileSync(meta, 'utf8'));
      fs.writeFileSync(meta, JSON.stringify({ ...m, running: req.op === 'start' }));
      return { status: 204 };
    }
    case 'delete':
      fs.rmSync(dir, { recursive: true, force: true });
      return { status: 204 };
  }
  return { status: 422, body: { error: 'unknown op' } };
}

function remember(key, answer) {
  answers[key] = answer;
  fs.writeFileSync(answersFile, JSON.stringify(answers));
  return answer;
}

function handle(req, body, send) {
  if (!signed(req.headers['x-prewarm-signature'], body)) return send({ status: 401, body: { error: 'bad or missing X-Prewarm-Signature' } });
  const key = req.headers['idempotency-key'];
  const url = new URL(req.url, 'http://platform');
  const poll = /^\/operations\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && poll) {
    if (answers[key]) return send(answers[key]);
    const op = pending.get(poll[1]);
    if (!op || op.key !== key) return send({ status: 404, body: { error: 'no such operation' } });
    pending.delete(poll[1]);
    return send(remember(key, perform(op.request)));
  }
  const op = url.pathname.slice(1);
  if (req.method !== 'POST' || !['create', 'delete', 'start', 'stop'].includes(op)) return send({ status: 404, body: { error: 'not found' } });
  if (typeof key !== 'string' || key === '') return send({ status: 400, body: { error: 'Idempotency-Key is required' } });
  if (answers[key]) return send(answers[key]);
  const running = [...pending].find(([, p]) => p.key === key);
  if (running) return send({ status: 202, headers: { Location: `/operations/${running[0]}` } });
  let request;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    return send({ status: 422, body: { error: 'the body is not JSON' } });
  }
  if (!request || request.op !== op) return send({ status: 422, body: { error: `the body's op is not ${op}` } });
  if (slow && op === 'create') {
    const id = String(nextOperation++);
    pending.set(id, { key, request });
    return send({ status: 202, headers: { Location: `/operations/${id}` } });
  }
  send(remember(key, perform(request)));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const send = ({ status, body, headers }) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
      console.error(`${req.method} ${req.url} ${req.headers['idempotency-key'] || '-'} -> ${status}`);
    };
    try {
      handle(req, Buffer.concat(chunks), send);
    } catch (err) {
      send({ status: 500, body: { error: String(err.message) } });
    }
  });
});
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
