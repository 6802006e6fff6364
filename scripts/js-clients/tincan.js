// TinCanJS (its Node.js build speaks xAPI 1.0.2) against a live LRS.
"use strict";

const crypto = require("crypto");
const TinCan = require("tincanjs");
const { endpoint, key, secret, assert, check, finish } = require("./common");

const lrs = new TinCan.LRS({ endpoint, username: key, password: secret, allowFail: false });

// TinCanJS calls back (error, result); an HTTP error comes back as the request object.
function call(method, ...args) {
  return new Promise((resolve, reject) => {
    const cfg = args.pop() || {};
    lrs[method](...args, {
      ...cfg,
      callback: (error, result) => (error ? reject(error) : resolve(result)),
    });
  });
}

(async () => {
  console.log(`== TinCanJS, xAPI ${lrs.version}, ${endpoint}`);
  const agent = new TinCan.Agent({ name: "Ana", mbox: `mailto:ana.${crypto.randomUUID()}@example.com` });
  const activity = new TinCan.Activity({
    id: `https://example.com/activities/${crypto.randomUUID()}`,
    definition: { name: { "en-US": "Module" }, type: "http://adlnet.gov/expapi/activities/module" },
  });
  const course = new TinCan.Activity({ id: `https://example.com/courses/${crypto.randomUUID()}` });
  const registration = crypto.randomUUID();
  const experienced = new TinCan.Verb({ id: "http://adlnet.gov/expapi/verbs/experienced" });
  const completed = new TinCan.Statement({
    actor: agent,
    verb: { id: "http://adlnet.gov/expapi/verbs/completed", display: { "en-US": "completed" } },
    target: activity,
    context: { registration, contextActivities: { parent: [course] } },
    result: { score: { scaled: 0.9, raw: 9, min: 0, max: 10 }, success: true, completion: true, duration: "PT2M" },
  });

  await check("about", async () => {
    assert((await call("about", {})).version.length > 0, "versions");
  });
  await check("saveStatement", async () => { await call("saveStatement", completed, {}); });
  await check("saveStatements (3)", async () => {
    const batch = [1, 2, 3].map(() => new TinCan.Statement({ actor: agent, verb: experienced, target: activity, context: { registration } }));
    await call("saveStatements", batch, {});
  });
  await check("retrieveStatement", async () => {
    const got = await call("retrieveStatement", completed.id, {});
    assert(got.id === completed.id && got.stored, "the statement with stored");
  });
  await check("queryStatements, then moreStatements", async () => {
    const page = await call("queryStatements", { params: { agent, verb: experienced, activity, registration, limit: 2 } });
    assert(page.statements.length === 2 && page.more, "a page of 2 and a more link");
    const rest = await call("moreStatements", { url: page.more });
    assert(rest.statements.length === 1, "the last one");
  });
  await check("queryStatements related_activities, since, ascending", async () => {
    const since = new Date(Date.now() - 600000).toISOString();
    const page = await call("queryStatements", { params: { activity: course, related_activities: true, since, ascending: true } });
    assert(page.statements.length === 1 && page.statements[0].id === completed.id, "the statement under the course");
  });
  await check("an attachment, read back", async () => {
    const shared = new TinCan.Statement({
      actor: agent, verb: { id: "http://adlnet.gov/expapi/verbs/shared" }, target: activity,
      attachments: [{
        usageType: "http://id.tincanapi.com/attachment/supporting_media", display: { "en-US": "note" },
        contentType: "text/plain", content: "hello from TinCanJS",
      }],
    });
    await call("saveStatement", shared, {});
    const got = await call("retrieveStatement", shared.id, { params: { attachments: true } });
    assert(got.attachments.length === 1 && got.attachments[0].sha2 === shared.attachments[0].sha2, "the attachment");
  });
  await check("voiding, retrieveVoidedStatement", async () => {
    const voiding = new TinCan.Statement({ actor: agent, verb: { id: "http://adlnet.gov/expapi/verbs/voided" }, target: new TinCan.StatementRef({ id: completed.id }) });
    await call("saveStatement", voiding, {});
    assert((await call("retrieveVoidedStatement", completed.id, {})).id === completed.id, "the voided statement");
  });
  await check("state: JSON with registration, lastSHA1, text, ids, drop", async () => {
    const at = { agent, activity, registration };
    await call("saveState", "bookmark", { page: 3 }, { ...at, contentType: "application/json" });
    const state = await call("retrieveState", "bookmark", at);
    assert(state.contents.page === 3, "the document");
    await call("saveState", "bookmark", { page: 4 }, { ...at, contentType: "application/json", lastSHA1: state.etag });
    await call("saveState", "note", "plain words", { agent, activity });  // application/octet-stream
    assert((await call("retrieveState", "note", { agent, activity })).contents === "plain words", "the text");
    assert((await call("retrieveStateIds", at)).includes("bookmark"), "its id listed");
    await call("dropState", "bookmark", at);
    await call("dropState", null, { agent, activity });
  });
  await check("activity profile with lastSHA1", async () => {
    await call("saveActivityProfile", "prefs", { a: 1 }, { activity, contentType: "application/json" });
    const profile = await call("retrieveActivityProfile", "prefs", { activity });
    assert(profile.contents.a === 1, "the document");
    await call("saveActivityProfile", "prefs", { a: 2 }, { activity, contentType: "application/json", lastSHA1: profile.etag });
    assert((await call("retrieveActivityProfileIds", { activity })).includes("prefs"), "its id listed");
    await call("dropActivityProfile", "prefs", { activity });
  });
  await check("agent profile", async () => {
    await call("saveAgentProfile", "prefs", { b: 1 }, { agent, contentType: "application/json" });
    assert((await call("retrieveAgentProfile", "prefs", { agent })).contents.b === 1, "the document");
    assert((await call("retrieveAgentProfileIds", { agent })).includes("prefs"), "its id listed");
    await call("dropAgentProfile", "prefs", { agent });
  });
  await check("retrieveActivity", async () => {
    const got = await call("retrieveActivity", activity.id, {});
    assert(got.id === activity.id && got.definition.name["en-US"] === "Module", "the definition");
  });
  finish("TinCanJS");
})();
