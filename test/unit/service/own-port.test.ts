/** A notification target may not point at the controller's own listeners: it would post into itself. */
import * as os from 'node:os';
import { describe, expect, test } from '@jest/globals';
import { ownPortOf } from '../../../controller/service/notification-service';

const PORTS = [7420, 7421];

describe('ownPortOf', () => {
  test.each([
    ['http://127.0.0.1:7420/hook', 7420],
    ['http://127.9.8.7:7421/hook', 7421],
    ['http://localhost:7421/metrics', 7421],
    ['http://api.localhost:7420/', 7420],
    ['https://[::1]:7420/', 7420],
    ['http://0.0.0.0:7420/', 7420],
    ['http://[::ffff:127.0.0.1]:7420/', 7420],
    [`http://${os.hostname()}:7420/`, 7420],
  ])('%s is this controller (port %d)', (url, port) => {
    expect(ownPortOf(url, PORTS)).toBe(port);
  });

  test.each([
    'http://127.0.0.1:9000/hook',
    'https://hooks.example.com:7420/x',
    'https://hooks.example.com/x',
    'http://10.255.255.1:7420/',
  ])('%s is elsewhere', (url) => {
    expect(ownPortOf(url, PORTS)).toBeNull();
  });

  test('the default port of the scheme counts', () => {
    expect(ownPortOf('http://localhost/hook', [80])).toBe(80);
    expect(ownPortOf('https://localhost/hook', [443])).toBe(443);
    expect(ownPortOf('https://localhost/hook', [80])).toBeNull();
  });

  test("an address of one of this machine's interfaces is this controller", () => {
    const local = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!local) return; // a machine with loopback only: the loopback cases above cover it
    expect(ownPortOf(`http://${local.address}:7421/`, PORTS)).toBe(7421);
  });
});
