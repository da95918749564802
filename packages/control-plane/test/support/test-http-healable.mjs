#!/usr/bin/env node
// The process runtime's test-http (packages/runtime-process/test/fixtures/test-http.mjs, whose path
// is the first argument), unchanged, plus a way back from /cgi-bin/fail, which is one-way there:
//
//   GET /cgi-bin/heal    makes /healthz pass again
//
// The fixture's request handler stays in place; this answers /healthz and /cgi-bin/heal before it
// (and notes /cgi-bin/fail on the way through), so health is one switch that goes both ways.
import { Server } from 'node:http';
import { pathToFileURL } from 'node:url';

const fixture = process.argv[2];
if (fixture === undefined) {
  console.error('usage: test-http-healable.mjs <path of test-http.mjs>');
  process.exit(2);
}

let healthy = process.env.HEALTHZ !== 'fail';
const emit = Server.prototype.emit;
Server.prototype.emit = function (event, ...args) {
  if (event === 'request') {
    const [req, res] = args;
    const path = new URL(req.url ?? '/', 'http://test-http').pathname;
    const answer = (status, body) => {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(body);
      return true;
    };
    if (path === '/cgi-bin/heal') {
      healthy = true;
      return answer(200, 'healthz passes again\n');
    }
    if (path === '/healthz') return healthy ? answer(200, 'ok\n') : answer(404, 'failing\n');
    if (path === '/cgi-bin/fail') healthy = false; // and the fixture answers
  }
  return emit.call(this, event, ...args);
};

await import(pathToFileURL(fixture).href);
