// @xapi/xapi (axios on Node.js) against a live LRS, under xAPI 2.0.0 and 1.0.3.
"use strict";

const crypto = require("crypto");
const XAPI = require("@xapi/xapi").default;
const { endpoint, key, secret, assert, check, finish } = require("./common");

async function statements(xapi, who, activityId, registration) {
  const statement = {
    actor: who,
    verb: XAPI.Verbs.COMPLETED,
    object: { objectType: "Activity", id: activityId, definition: { name: { "en-US": "Module" } } },
    context: { registration },
    result: { score: { scaled: 0.8 }, success: true, duration: "PT1M30S" },
  };
  let first;
  await check("sendStatement", async () => {
    [first] = (await xapi.sendStatement({ statement })).data;
    assert(first, "an id");
  });
  await check("sendStatements (3)", async () => {
    const batch = [1, 2, 3].map(() => ({ ...statement, id: crypto.randomUUID() }));
    assert((await xapi.sendStatements({ statements: batch })).data.length === 3, "3 ids");
  });
  await check("getStatement", async () => {
    const got = (await xapi.getStatement({ statementId: first })).data;
    assert(got.id === first && got.stored && got.authority, "the statement with stored, authority");
  });
  await check("getStatements with filters, then getMoreStatements", async () => {
    const params = { agent: who, verb: XAPI.Verbs.COMPLETED.id, activity: activityId, registration, limit: 2 };
    const page = (await xapi.getStatements(params)).data;
    assert(page.statements.length === 2 && page.more, "a page of 2 and a more link");
    const rest = (await xapi.getMoreStatements({ more: page.more })).data;
    assert(rest.statements.length === 2 && rest.more === "", "the last 2");
  });
  await check("getStatements since/until, ascending, format=ids", async () => {
    const since = new Date(Date.now() - 600000).toISOString();
    const page = (await xapi.getStatements({ agent: who, since, ascending: true, format: "ids" })).data;
    assert(page.statements.length === 4 && page.statements[0].id === first, "4, oldest first");
  });
  await check("sendStatement with an attachment, read back with attachments=true", async () => {
    const data = Buffer.from(`coaching checklist ${crypto.randomUUID()}`);
    const sha2 = crypto.createHash("sha256").update(data).digest("hex");
    const withAttachment = {
      ...statement,
      id: crypto.randomUUID(),
      attachments: [{
        usageType: XAPI.AttachmentUsages.SUPPORTING_MEDIA, display: { "en-US": "checklist" },
        contentType: "text/plain", length: data.length, sha2,
      }],
    };
    const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.length);
    const [id] = (await xapi.sendStatement({ statement: withAttachment, attachments: [buffer] })).data;
    const parts = (await xapi.getStatement({ statementId: id, attachments: true })).data;
    assert(Array.isArray(parts) && parts[0].id === id && parts[1] === data.toString(), "statement, then the payload");
  });
  await check("sendStatements with three payloads (the library runs each on into the next delimiter)", async () => {
    const payloads = [Buffer.from("ends with a line end\r\n"), Buffer.from("%PDF-1.4\n%%EOF\r\n"), Buffer.from("last")];
    const declared = payloads.map((data) => ({
      usageType: XAPI.AttachmentUsages.SUPPORTING_MEDIA, display: { "en-US": "file" }, contentType: "text/plain",
      length: data.length, sha2: crypto.createHash("sha256").update(data).digest("hex"),
    }));
    const batch = [
      { ...statement, id: crypto.randomUUID(), attachments: declared.slice(0, 2) },
      { ...statement, id: crypto.randomUUID(), attachments: declared.slice(2) },
    ];
    const buffers = payloads.map((data) => data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
    const ids = (await xapi.sendStatements({ statements: batch, attachments: buffers })).data;
    assert(ids.length === 2, "2 ids");
    // The library trims the parts it reads back, so the payloads are compared trimmed.
    const parts = (await xapi.getStatement({ statementId: ids[0], attachments: true })).data;
    const served = parts.slice(1).sort();
    const sent = payloads.slice(0, 2).map((data) => data.toString().trim()).sort();
    assert(parts.length === 3 && served[0] === sent[0] && served[1] === sent[1], `both payloads, got ${JSON.stringify(served)}`);
  });
  await check("voidStatement, getVoidedStatement", async () => {
    await xapi.voidStatement({ actor: who, statementId: first });
    assert((await xapi.getVoidedStatement({ voidedStatementId: first })).data.id === first, "the voided statement");
    let status;
    try { await xapi.getStatement({ statementId: first }); } catch (error) { status = error.response && error.response.status; }
    assert(status === 404, "404 for it as a plain statement");
  });
}

async function documents(xapi, version, who, activityId, registration) {
  await check("state: createState merges, setState replaces, getStates, deleteStates", async () => {
    const at = { agent: who, activityId, registration };
    await xapi.createState({ ...at, stateId: "bookmark", state: { page: 1 } });
    await xapi.createState({ ...at, stateId: "bookmark", state: { score: 3 } });
    const merged = await xapi.getState({ ...at, stateId: "bookmark" });
    assert(merged.data.page === 1 && merged.data.score === 3, "the two merged");
    // Under 2.0 a PUT over an existing document needs its ETag (REF-008).
    await xapi.setState({ ...at, stateId: "bookmark", state: { page: 9 }, etag: merged.headers.etag, matchHeader: "If-Match" });
    const replaced = (await xapi.getState({ ...at, stateId: "bookmark" })).data;
    assert(replaced.page === 9 && replaced.score === undefined, "replaced");
    await xapi.setState({ ...at, stateId: "note", state: "plain words", contentType: "text/plain" });
    assert((await xapi.getState({ ...at, stateId: "note" })).data === "plain words", "the text back");
    assert((await xapi.getStates(at)).data.length === 2, "2 state ids");
    await xapi.deleteStates(at);
    assert((await xapi.getStates(at)).data.length === 0, "none left");
  });
  await check("activity profile with ETags", async () => {
    const profileId = `settings-${version}`;
    await xapi.createActivityProfile({ activityId, profileId, profile: { a: 1 } });
    const got = await xapi.getActivityProfile({ activityId, profileId });
    await xapi.setActivityProfile({ activityId, profileId, profile: { b: 2 }, etag: got.headers.etag, matchHeader: "If-Match" });
    assert((await xapi.getActivityProfiles({ activityId })).data.includes(profileId), "its id listed");
    await xapi.deleteActivityProfile({ activityId, profileId });
  });
  await check("agent profile", async () => {
    const profileId = `prefs-${version}`;
    await xapi.createAgentProfile({ agent: who, profileId, profile: { a: 1 } });
    const got = await xapi.getAgentProfile({ agent: who, profileId });
    assert(got.data.a === 1 && (await xapi.getAgentProfiles({ agent: who })).data.includes(profileId), "stored and listed");
    await xapi.deleteAgentProfile({ agent: who, profileId, etag: got.headers.etag });
  });
  await check("getActivity, getAgent", async () => {
    assert((await xapi.getActivity({ activityId })).data.definition.name["en-US"] === "Module", "the definition");
    assert((await xapi.getAgent({ agent: who })).data.objectType === "Person", "a Person");
  });
}

(async () => {
  for (const version of ["2.0.0", "1.0.3"]) {
    console.log(`== @xapi/xapi, xAPI ${version}, ${endpoint}`);
    const xapi = new XAPI({ endpoint, auth: XAPI.toBasicAuth(key, secret), version });
    const who = { objectType: "Agent", name: "Ana", mbox: `mailto:ana.${crypto.randomUUID()}@example.com` };
    const activityId = `https://example.com/activities/${crypto.randomUUID()}`;
    const registration = crypto.randomUUID();
    await check("getAbout", async () => {
      assert((await xapi.getAbout()).data.version.includes(version), `${version} in About`);
    });
    await statements(xapi, who, activityId, registration);
    await documents(xapi, version, who, activityId, registration);
  }
  finish("@xapi/xapi");
})();
