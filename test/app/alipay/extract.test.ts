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
