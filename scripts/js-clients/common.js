// Shared by xapi.js and tincan.js: where the LRS is, and a tally of named checks.
"use strict";

const endpoint = process.env.LRS_URL || "http://127.0.0.1:8000/xAPI/";
const key = process.env.LRS_KEY || "dev";
const secret = process.env.LRS_SECRET || "dev-secret";
let failures = 0;

function assert(condition, message) {
  if (!condition) throw new Error(`expected ${message}`);
}

function describe(error) {
  const response = error && (error.response || (error.status !== undefined ? error : null));
  if (response) {
    const body = response.data !== undefined ? JSON.stringify(response.data) : response.responseText;
    return `HTTP ${response.status} ${String(body).slice(0, 300)}`;
  }
  return String((error && error.stack) || error).slice(0, 400);
}

async function check(name, run) {
  try {
    await run();
    console.log(`ok    ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`FAIL  ${name}: ${describe(error)}`);
  }
}

function finish(library) {
  console.log(failures ? `${library}: ${failures} failed` : `${library}: all passed`);
  process.exitCode = failures ? 1 : 0;
}

module.exports = { endpoint, key, secret, assert, check, finish };
