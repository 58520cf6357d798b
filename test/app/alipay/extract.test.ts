import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlipayError, extractResponse, splitTopLevel } from '../../../app/alipay/index.ts';

const M = 'alipay.trade.query';

test('extracts the exact raw node text, whitespace and escapes included', () => {
  const node = '{ "code":"10000",\n "msg":"Su}c{c\\"ess\\\\", "x":[{"a":"}"}], "u":"https:\\/\\/a" }';
  const body = `{"alipay_trade_query_response":${node} ,"alipay_cert_sn":"abc","sign":"c2lnbg=="}`;
  const e = extractResponse(body, M);
  assert.equal(e.signedText, node);
  assert.equal(e.sign, 'c2lnbg==');
  assert.equal(e.alipayCertSn, 'abc');
  assert.equal(e.node.msg, 'Su}c{c"ess\\');
});

test('sign before the node, and error_response fallback', () => {
  const e = extractResponse('{"sign":"QQ==","alipay_trade_query_response":{"code":"10000"}}', M);
  assert.equal(e.signedText, '{"code":"10000"}');
  const err = extractResponse(
    '{"error_response":{"code":"40002","sub_code":"isv.invalid-app-id"},"sign":""}',
    M,
  );
  assert.equal(err.nodeName, 'error_response');
  assert.equal(err.sign, null, 'empty sign means unsigned');
});

test('a node name inside a string value is not mistaken for the node', () => {
  const body =
    '{"x":"\\"alipay_trade_query_response\\":{\\"code\\":\\"10000\\"}","alipay_trade_query_response":{"code":"40004"},"sign":"QQ=="}';
  assert.equal(extractResponse(body, M).node.code, '40004');
});

test('duplicate root keys, missing nodes and non-JSON are typed errors', () => {
  const bad = [
    '{"alipay_trade_query_response":{"code":"40004"},"alipay_trade_query_response":{"code":"10000"},"sign":"QQ=="}',
    '{"sign":"QQ=="}',
    '<html>502 Bad Gateway</html>',
    '',
    '[]',
    '{"alipay_trade_query_response":"string","sign":"QQ=="}',
    '{"alipay_trade_query_response":{"code":"10000"}',
  ];
  for (const body of bad) {
    assert.throws(
      () => extractResponse(body, M),
      (err: unknown) => err instanceof AlipayError && err.code === 'malformed_response',
      body,
    );
  }
  assert.deepEqual([...splitTopLevel('{}').keys()], []);
  assert.deepEqual(
    [...splitTopLevel(' {"a" : 1 , "b":true,"c":null} ').entries()],
    [
      ['a', '1'],
      ['b', 'true'],
      ['c', 'null'],
    ],
  );
});

// The signature covers the node's exact received bytes: a member boundary off by one character is a
// genuine answer refused, or a forged one read.
test('members are cut exactly at every kind of JSON whitespace and after every kind of value', () => {
  assert.deepEqual(
    [...splitTopLevel('\t{\r\n"a"\t:\r12\n,\t"b" :\r\n"x y"\r,"c":-1.5e3\t,"d":false}\n').entries()],
    [
      ['a', '12'],
      ['b', '"x y"'],
      ['c', '-1.5e3'],
      ['d', 'false'],
    ],
  );
  assert.deepEqual([...splitTopLevel('{"a":7}').entries()], [['a', '7']]);
  assert.deepEqual([...splitTopLevel('{ }').entries()], []);
  assert.deepEqual([...splitTopLevel('{\r\n}').entries()], []);
  const nested = '[1,[2,"]"],{"k":"}\\\\"},[]]';
  assert.deepEqual(
    [...splitTopLevel(`{"n":${nested},"o":{"p":{"q":[{}]}},"z":"\\\\"}`).entries()],
    [
      ['n', nested],
      ['o', '{"p":{"q":[{}]}}'],
      ['z', '"\\\\"'],
    ],
  );
});

test('the method node wins over error_response; sign and alipay_cert_sn count only as non-empty strings', () => {
  const both = extractResponse(
    '{"error_response":{"code":"40002"},"alipay_trade_query_response":{"code":"10000"},"sign":"QQ=="}',
    M,
  );
  assert.equal(both.nodeName, 'alipay_trade_query_response');
  assert.deepEqual(both.node, { code: '10000' });
  const odd = extractResponse(
    '{"alipay_trade_query_response":{"code":"10000"},"sign":7,"alipay_cert_sn":""}',
    M,
  );
  assert.equal(odd.sign, null);
  assert.equal(odd.alipayCertSn, null);
  assert.equal(extractResponse('{"alipay_trade_query_response":{}}', M).sign, null);
});

test('a refused response says why (it reaches the sale log as the reason the outcome is unknown)', () => {
  const cases: Array<[string, string]> = [
    ['<html>', 'response is not valid JSON'],
    ['[]', 'response is not a JSON object'],
    ['null', 'response is not a JSON object'],
    ['1', 'response is not a JSON object'],
    ['"alipay_trade_query_response"', 'response is not a JSON object'],
    [`{"${'k'.repeat(100)}":1,"${'k'.repeat(100)}":2}`, `duplicate top-level key "${'k'.repeat(64)}"`],
    ['{"sign":"QQ=="}', 'response has no alipay_trade_query_response node'],
    ['{"alipay_trade_query_response":[1]}', 'alipay_trade_query_response is not an object'],
    ['{"alipay_trade_query_response":null}', 'alipay_trade_query_response is not an object'],
    ['{"error_response":"x"}', 'error_response is not an object'],
    ['{"a":1,"a":2}', 'duplicate top-level key "a"'],
  ];
  for (const [body, message] of cases) {
    assert.throws(() => extractResponse(body, M), { code: 'malformed_response', message }, body);
  }
  assert.throws(() => splitTopLevel(1 as unknown as string), {
    code: 'malformed_response',
    message: 'response body is not text',
  });
});
