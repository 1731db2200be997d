#!/usr/bin/env node
// Checks a prewarm webhook signature. Usage:
//   WEBHOOK_SECRET=… node verify.js "$X_PREWARM_SIGNATURE" < body.json
// Exit 0 when valid; 1 with the reason otherwise. Verify the raw body bytes, before any JSON parsing.
const { createHmac, timingSafeEqual } = require('node:crypto');

const secret = process.env.WEBHOOK_SECRET;
const header = process.argv[2] || '';
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const fail = (why) => { console.error(`invalid: ${why}`); process.exit(1); };
  if (!secret) fail('WEBHOOK_SECRET is not set');
  const t = (header.match(/(?:^|,)t=(\d+)(?:,|$)/) || [])[1];
  const sigs = [...header.matchAll(/(?:^|,)v1=([0-9a-f]{64})(?=,|$)/g)].map((m) => Buffer.from(m[1], 'hex'));
  if (!t || sigs.length === 0) fail('malformed signature header');
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) fail('timestamp older than 5 minutes (or in the future)');
  const expected = createHmac('sha256', secret).update(`${t}.`).update(Buffer.concat(chunks)).digest();
  if (!sigs.some((s) => timingSafeEqual(s, expected))) fail('signature does not match');
  console.log('valid');
});
