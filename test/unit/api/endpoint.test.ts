import assert from 'node:assert/strict';
import { test } from '@jest/globals';
import { parseEndpoint } from '../../../controller/api/client';

test('the token never goes to a non-loopback endpoint in cleartext unless http:// says so', () => {
  assert.deepEqual(parseEndpoint('127.0.0.1:7420'), { target: '127.0.0.1:7420', tls: false });
  assert.deepEqual(parseEndpoint('localhost:7420'), { target: 'localhost:7420', tls: false });
  assert.deepEqual(parseEndpoint('[::1]:7420'), { target: '[::1]:7420', tls: false });
  assert.throws(() => parseEndpoint('ctl.example.com:7420'), /not a loopback address.*use https:\/\/ctl\.example\.com:7420 \(TLS\), or write http:\/\/ctl\.example\.com:7420/);
  assert.throws(() => parseEndpoint('0.0.0.0:7420'), /not a loopback address/);
  assert.deepEqual(parseEndpoint('http://ctl.example.com:7420'), { target: 'ctl.example.com:7420', tls: false });
  assert.deepEqual(parseEndpoint('https://ctl.example.com:7420'), { target: 'ctl.example.com:7420', tls: true });
  assert.deepEqual(parseEndpoint('ctl.example.com:7420', { insecure: true }), { target: 'ctl.example.com:7420', tls: true });
});
