import { describe, expect, test } from '@jest/globals';
import { NOTIFICATION_EVENTS } from '../../../controller/domain/workspace';
import { jsonBody, readPayload, renderBody, slackText, testNotification } from '../../../controller/notify/webhook-body';
import { AT, dueOf, SAMPLES } from './samples';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('json body', () => {
  test.each(NOTIFICATION_EVENTS)('%s carries id, key, event, occurred_at, subject and data from the payload', (event) => {
    const n = SAMPLES[event];
    const due = dueOf(n, { notificationId: 42 });
    const body = JSON.parse(renderBody('json', due));
    expect(Object.keys(body)).toEqual(['id', 'key', 'event', 'subject', 'occurred_at', 'data']);
    expect(body).toEqual({ id: 42, key: n.key, event, ...(n.payload as object) });
    expect(body.occurred_at).toBe(new Date(AT).toISOString());
    expect(body.subject.type).toBe(event === 'preset_hard_limited' ? 'preset' : 'workspace');
  });

  test('malformed payloads never throw: {} and the notification time instead', () => {
    for (const payload of ['not json', '', 'null', '[1,2]', '"text"', '{"subject":"x","data":7,"occurred_at":"yesterday"}']) {
      const body = jsonBody(dueOf(SAMPLES.workspace_autostopped, { payload, notificationCreatedAt: AT }));
      expect(body.occurred_at).toBe(new Date(AT).toISOString());
      expect(body.subject).toEqual({});
      expect(body.data).toEqual({});
    }
  });

  test('a flat legacy hard-limit payload keeps its fields as data and names the preset as subject', () => {
    const p = readPayload(JSON.stringify({ preset: 'devbox/small', failures: 3, last_error: 'boom' }), AT);
    expect(p).toEqual({ subject: { type: 'preset', id: 'devbox/small' }, occurred_at: new Date(AT).toISOString(), data: { preset: 'devbox/small', failures: 3, last_error: 'boom' } });
  });

  test('a payload with data but no subject keeps its data', () => {
    const p = readPayload(JSON.stringify({ data: { a: 1 }, occurred_at: '2026-03-09T08:00:00.000Z' }), 0);
    expect(p).toEqual({ subject: {}, occurred_at: '2026-03-09T08:00:00.000Z', data: { a: 1 } });
  });
});

describe('slack body', () => {
  test.each(NOTIFICATION_EVENTS)('%s reads as one line with a title and the sentence the live view prints', (event) => {
    const body = JSON.parse(renderBody('slack', dueOf(SAMPLES[event])));
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toMatch(/^\*[A-Z][a-z -]+\*: (workspace feature-x \(alice, devbox\/small\)|preset devbox\/small) /);
    expect(body.text).not.toMatch(CONTROL);
    expect(body.text).not.toContain('?');
  });

  test('examples read well', () => {
    const text = (e: keyof typeof SAMPLES) => JSON.parse(renderBody('slack', dueOf(SAMPLES[e]))).text;
    expect(text('workspace_autostop_reminder')).toBe(
      '*Autostop reminder*: workspace feature-x (alice, devbox/small) stops in 30m (at 2026-03-09T08:30:00.000Z) unless it is used',
    );
    expect(text('preset_hard_limited')).toBe(
      '*Preset stopped building*: preset devbox/small stopped building after 5 failed builds in a row (last: terraform apply failed: quota exceeded); prewarm resume lifts it',
    );
    expect(text('workspace_deleted')).toBe(
      '*Workspace deleted*: workspace feature-x (alice, devbox/small) could not be deleted (stopped_ttl), attempt 2: driver exited 1; retrying',
    );
  });

  test('control characters and markup in user text are neutralised, long text is bounded', () => {
    const n = SAMPLES.preset_hard_limited;
    const payload = JSON.stringify({ ...n.payload, data: { failures: 5, last_error: 'line1\nline2\u001b[31m <!channel> & \u202eevil' } });
    const text = JSON.parse(renderBody('slack', dueOf(n, { payload }))).text as string;
    expect(text).not.toMatch(CONTROL);
    expect(text).toContain('line1 line2 [31m &lt;!channel&gt; &amp; evil');
    const long = JSON.stringify({ ...n.payload, data: { failures: 5, last_error: 'x'.repeat(10_000) } });
    expect(slackText('preset_hard_limited', readPayload(long, AT)).length).toBeLessThanOrEqual(3000);
  });

  test('a malformed payload still gives a readable line', () => {
    const text = JSON.parse(renderBody('slack', dueOf(SAMPLES.workspace_autostopped, { payload: '{{' }))).text;
    expect(text).toBe('*Workspace stopped*: unknown subject was stopped at its deadline ?');
  });
});

describe('test event', () => {
  test('json: id 0, key test:<target>:<ms>, subject the target, a fixed message', () => {
    const src = testNotification('ci-hook', AT);
    expect(JSON.parse(renderBody('json', src))).toEqual({
      id: 0,
      key: `test:ci-hook:${AT}`,
      event: 'test',
      subject: { type: 'target', name: 'ci-hook' },
      occurred_at: new Date(AT).toISOString(),
      data: { message: 'prewarm test notification' },
    });
  });

  test('slack: a readable line', () => {
    expect(JSON.parse(renderBody('slack', testNotification('ci-hook', AT)))).toEqual({ text: '*Test notification*: target ci-hook: test notification' });
  });
});
