import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBlockedKioskKey, RendererCrashPolicy, type KeyInput } from '../../../app/host/index.ts';

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({
  type: 'keyDown',
  key: k,
  control: false,
  meta: false,
  alt: false,
  shift: false,
  ...mods,
});

test('reload, developer tools, closing, printing, zoom and navigation keys are blocked on the kiosk', () => {
  for (const input of [
    key('F5'),
    key('F12'),
    key('F11'),
    key('r', { control: true }),
    key('R', { control: true, shift: true }),
    key('I', { control: true, shift: true }),
    key('w', { control: true }),
    key('q', { meta: true }),
    key('p', { control: true }),
    key('+', { control: true }),
    key('F4', { alt: true }),
    key('ArrowLeft', { alt: true }),
  ]) {
    assert.equal(isBlockedKioskKey(input), true, JSON.stringify(input));
  }
});

test('typing digits on a PIN pad keyboard and plain letters still works', () => {
  for (const input of [key('1'), key('9'), key('a'), key('Enter'), key('Backspace'), key('r')]) {
    assert.equal(isBlockedKioskKey(input), false, JSON.stringify(input));
  }
  assert.equal(isBlockedKioskKey({ ...key('F5'), type: 'keyUp' }), false);
});

test('a renderer that dies is reloaded; one that keeps dying gets the whole app restarted', () => {
  const policy = new RendererCrashPolicy({ windowMs: 60_000, maxReloads: 2 });
  assert.equal(policy.onCrash(0), 'reload');
  assert.equal(policy.onCrash(10_000), 'reload');
  assert.equal(policy.onCrash(20_000), 'relaunch');
  assert.equal(policy.onCrash(200_000), 'reload', 'old crashes are forgotten');
});
