// Rosette in a real browser at phone size: Debian's Chromium driven by playwright-core,
// every page checked by axe-core for serious or critical accessibility violations.
// Usage: node run.mjs PATH_TO_ROSETTE_BINARY
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";
import { createServer } from "node:net";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const binary = resolve(process.argv[2] ?? "../../target/debug/rosette");
const shots = resolve(process.env.ROSETTE_SCREENSHOTS ?? "../../target/screenshots");
mkdirSync(shots, { recursive: true });

const freePort = () =>
  new Promise((ok) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

const work = mkdtempSync(join(tmpdir(), "rosette-browser-"));
const mailDir = join(work, "outbox");
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(binary, ["demo", "--members", "300", "--listen", `127.0.0.1:${port}`], {
  cwd: work,
  env: { ...process.env, ROSETTE_DATABASE_URL: `sqlite://${join(work, "demo.db")}`, ROSETTE_MAIL_DIR: mailDir, ROSETTE_SMTP_URL: "" },
  stdio: ["ignore", "pipe", "inherit"],
});
let out = "";
server.stdout.on("data", (d) => (out += d));
const stop = () => server.kill();
process.on("exit", stop);

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/healthz`)).ok) break;
  } catch {}
  if (i > 300) throw new Error(`Rosette did not start:\n${out}`);
  await new Promise((r) => setTimeout(r, 100));
}
const password = /password for each: (.+)/.exec(out)?.[1]?.trim();
assert.ok(password, `the demo prints its sign-in:\n${out}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failures = 0;
const checked = new Set();

async function newPhone() {
  // bypassCSP only so axe can be injected; the pages themselves run no script at all.
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true, acceptDownloads: true });
  const page = await context.newPage();
  page.on("dialog", async (d) => {
    failures++;
    console.error(`FAIL: a dialog opened (${d.message()}): injected script ran`);
    await d.dismiss();
  });
  return { context, page };
}

async function audit(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) {
    failures++;
    console.error(`FAIL: axe on ${name}: ${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`);
  }
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  const screen = page.viewportSize()?.width ?? 360;
  if (width > screen + 2) {
    failures++;
    console.error(`FAIL: ${name} is ${width}px wide on a ${screen}px screen`);
  }
  checked.add(name);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function signIn(page, email, pass = password) {
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/sign-in/);
  await audit(page, "sign-in");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(pass);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/`);
}

const step = async (name, fn) => {
  try {
    await fn();
    console.log(`ok: ${name}`);
  } catch (e) {
    failures++;
    console.error(`FAIL: ${name}\n${e.stack}`);
  }
};

const { page } = await newPhone();
await step("the Secretary signs in and sees the dashboard", async () => {
  await signIn(page, "secretary@example.org");
  await page.getByRole("heading", { name: "Members by status" }).waitFor();
  await audit(page, "dashboard");
  // Every menu item is a thumb-sized target on a phone.
  for (const item of await page.locator(".top nav a, .top nav button").all()) {
    const box = await item.boundingBox();
    if (!box || box.height < 44) {
      throw new Error(`menu item "${(await item.textContent()).trim()}" is ${box?.height}px tall`);
    }
  }
});

let memberUrl;
await step("search finds a member, who opens", async () => {
  await page.getByRole("link", { name: "Members" }).first().click();
  await audit(page, "member-list");
  await page.goto(`${base}/members?status=current&kind=member`);
  const first = page.locator(".people li .name").first();
  const name = (await first.textContent()).trim();
  const last = name.split(" ").pop();
  await page.getByLabel(/Search by name/).fill(last);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name }).first().click();
  await page.getByRole("heading", { name: new RegExp(name) }).waitFor();
  memberUrl = page.url();
  await audit(page, "member");
});

await step("invalid input gets a message next to the field and saves nothing", async () => {
  await page.goto(`${memberUrl}/edit`);
  await audit(page, "edit");
  const before = await page.getByLabel("Last name").inputValue();
  await page.getByLabel("Last name").fill("Changed");
  await page.getByLabel("Email", { exact: true }).fill("not an email");
  await page.getByRole("button", { name: "Save" }).click();
  const message = page.locator("#e-email");
  await message.waitFor();
  assert.match(await message.textContent(), /not an email address/);
  assert.equal(await page.getByLabel("Email", { exact: true }).getAttribute("aria-invalid"), "true");
  await audit(page, "edit-invalid");
  await page.goto(memberUrl);
  assert.ok((await page.locator("h1").textContent()).includes(before), "nothing was saved");
});

await step("the Secretary fixes a phone number", async () => {
  await page.goto(`${memberUrl}/edit`);
  await page.getByLabel("Mobile").fill("07700 900777");
  await page.getByLabel("Email", { exact: true }).fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved.").waitFor();
  await page.getByText("+447700900777").first().waitFor();
});

await step("a name with markup shows as text everywhere", async () => {
  await page.goto(`${memberUrl}/edit`);
  await page.getByLabel("First name").fill("<script>alert(1)</script>");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved.").waitFor();
  assert.ok((await page.locator("h1").textContent()).includes("<script>alert(1)</script>"));
  await page.goto(`${base}/members?q=${encodeURIComponent("<script>")}`);
  await page.getByText("<script>alert(1)</script>", { exact: false }).first().waitFor();
  await page.goto(`${base}/audit`);
  await audit(page, "audit");
});

await step("the Secretary records a payment", async () => {
  await page.goto(`${memberUrl}/payment`);
  await audit(page, "payment");
  await page.getByLabel("Amount (£)").fill("60.00");
  await page.getByLabel("How it was paid").selectOption("card");
  await page.getByRole("button", { name: "Record payment" }).click();
  await page.screenshot({ path: join(shots, "payment-recorded.png"), fullPage: true });
  await page.getByText("Saved.").waitFor();
  await page.getByRole("cell", { name: "£60.00" }).first().waitFor();
});

await step("the Secretary exports the list", async () => {
  await page.goto(`${base}/members?status=current`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "CSV" }).click()]);
  const path = await download.path();
  const text = readFileSync(path, "utf8");
  assert.match(text, /^membership_number,first_name,last_name/);
  assert.ok(text.split("\r\n").length > 10);
});

await step("the Secretary invites a Branch Secretary, who sees only their branch", async () => {
  await page.goto(`${base}/roles`);
  await audit(page, "roles");
  await page.getByLabel("Name").fill("Bea Branchley");
  await page.getByLabel("Email", { exact: true }).fill("bea@example.org");
  await page.getByLabel("Role", { exact: true }).selectOption("branch-secretary");
  const unit = page.getByLabel("For");
  const options = await unit.locator("option").evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  const [slug, label] = options.find(([v]) => v !== "local-party");
  await unit.selectOption(slug);
  await page.getByRole("button", { name: "Give role" }).click();
  await page.getByText("invitation to choose a password is waiting in").waitFor();
  // The outbox is delivered by a worker every few seconds.
  let mail;
  for (let i = 0; i < 100 && !mail; i++) {
    await new Promise((r) => setTimeout(r, 200));
    if (existsSync(mailDir)) mail = readdirSync(mailDir).map((f) => readFileSync(join(mailDir, f), "utf8")).find((m) => m.includes("bea@example.org"));
  }
  assert.ok(mail, "the invitation is in the file outbox");
  const link = /(http:\/\/\S+\/welcome\/[0-9a-f]+)/.exec(mail.replace(/=\r?\n/g, ""))[1];
  const bea = await newPhone();
  await bea.page.goto(link);
  await audit(bea.page, "welcome");
  await bea.page.getByLabel("New password").fill("lantern orchard pebble");
  await bea.page.getByLabel("The same password again").fill("lantern orchard pebble");
  await bea.page.getByRole("button", { name: "Save password" }).click();
  await signIn(bea.page, "bea@example.org", "lantern orchard pebble");
  await bea.page.goto(`${base}/members`);
  const branchName = label.split(" — ").pop();
  const metas = await bea.page.locator(".people .meta").allTextContents();
  assert.ok(metas.length > 0, "the branch has members");
  assert.ok(metas.every((m) => m.includes(branchName)), `only ${branchName}: ${metas.join(" | ")}`);
  const other = await bea.page.goto(memberUrl);
  assert.ok([200, 404].includes(other.status()));
  await bea.context.close();
  await page.goto(`${base}/audit?action=role.assign`);
  await page.getByText("bea@example.org").first().waitFor();
});

await step("the Women's Officer and a caller see their pages", async () => {
  const w = await newPhone();
  await signIn(w.page, "women@example.org");
  await w.page.goto(`${base}/members`);
  await audit(w.page, "womens-officer-list");
  await w.context.close();
  const c = await newPhone();
  await signIn(c.page, "caller@example.org");
  await audit(c.page, "caller-home");
  await c.context.close();
});

await step("segments save and stay live", async () => {
  await page.goto(`${base}/members?status=in_arrears`);
  await page.getByLabel("Save these filters as a segment").fill("Arrears to call");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("link", { name: "Arrears to call" }).waitFor();
  await audit(page, "segments");
  await page.goto(`${base}/account/two-factor`);
  await page.getByRole("button", { name: "Set it up" }).click();
  await page.locator("#totp-key").waitFor();
  await audit(page, "two-factor");
});

await step("the Secretary makes this fortnight's action report and reads it on a phone", async () => {
  await page.goto(`${base}/reports`);
  await audit(page, "reports");
  await page.getByRole("button", { name: "Make one up to today" }).click();
  await page.getByRole("heading", { name: "Membership Action Report" }).waitFor();
  await audit(page, "report");
  const reportUrl = page.url();
  await page.goto(`${base}/reports/trends`);
  await audit(page, "trends");
  await page.goto(reportUrl);
});

// Labels at least as large as body text, and no table cut off, whatever the data.
async function chartsReadable(page, name) {
  const body = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  const sizes = await page.locator("table.chart th, table.chart td").evaluateAll((els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)));
  assert.ok(sizes.length > 0, `${name} has a chart`);
  assert.ok(sizes.every((s) => s >= body), `${name}: chart text ${Math.min(...sizes)}px, body ${body}px`);
  const cut = await page.locator(".table-wrap").evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length);
  return cut;
}

await step("charts keep readable labels on a phone and tables fit a laptop", async () => {
  await page.goto(`${base}/`);
  await chartsReadable(page, "home");
  await page.goto(`${base}/reports/trends`);
  await chartsReadable(page, "trends");
  const laptop = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  const l = await laptop.newPage();
  await signIn(l, "secretary@example.org");
  await l.goto(`${base}/reports/trends`);
  assert.equal(await chartsReadable(l, "trends at 1280px"), 0, "no table on the trends page scrolls at 1280px");
  await l.screenshot({ path: join(shots, "trends-laptop.png"), fullPage: true });
  await laptop.close();
});

// The Membership Officer's fortnight, walked end to end on phones: the report, a call
// list from its arrears section with who was left out, two callers, five calls in a row
// (one with a mistaken date that keeps the rest), a flag closed by the officer, and the
// same counts on every page.
await step("the Membership Officer's fortnight: report, call list, five calls, a flag, counts that agree", async () => {
  const n = (text) => Number(/(\d+)/.exec(text)?.[1]);
  const mo = await newPhone();
  const p = mo.page;
  await signIn(p, "membership@example.org");
  await audit(p, "membership-home");
  const homeArrears = n(await p.locator(".todo li", { hasText: "Remind members in arrears" }).locator(".count").textContent());
  await p.getByRole("link", { name: "Reports" }).click();
  await p.getByRole("button", { name: "Make one up to today" }).click();
  await p.getByRole("heading", { name: "Membership Action Report" }).waitFor();
  const reportUrl = p.url();
  const reportArrears = n(await p.locator("#in_arrears .count").textContent());
  assert.equal(reportArrears, homeArrears, "the report and the home page count the same people in arrears");

  await p.locator('a[href*=":in_arrears"]').click();
  await p.getByRole("heading", { name: "New call list" }).waitFor();
  await audit(p, "call-list-new");
  const toCall = n(await p.locator("main > p").first().textContent());
  const leftOut = n(await p.locator("#left-out").textContent());
  assert.equal(toCall + leftOut, reportArrears, "everyone in the section is on the list or named as left out");
  assert.equal(await p.locator("main ul.people li").count(), leftOut, "each left-out person is listed");
  if (leftOut > 0) await p.getByRole("link", { name: /member list/ }).waitFor();
  assert.match(await p.getByLabel("Name").inputValue(), /^In arrears, /);
  await p.getByLabel("Dee Campbell").check();
  await p.getByLabel("Kit Marsh").check();
  await p.getByRole("button", { name: "Make the list" }).click();
  const made = await p.locator(".notice").textContent();
  assert.match(made, new RegExp(`${toCall} people to call, shared with Dee Campbell and Kit Marsh`));
  const listUrl = p.url().replace(/\?.*$/, "");
  assert.equal(n(await p.getByRole("heading", { name: /People on the list/ }).textContent()), toCall);
  await audit(p, "call-list");

  const c = await newPhone();
  await signIn(c.page, "caller@example.org");
  await c.page.getByText(`${toCall} still to call`).waitFor();
  await audit(c.page, "caller-home-with-list");
  await c.page.locator(`a[href="${new URL(listUrl).pathname}/call"]`).click();
  await c.page.getByRole("button", { name: "Call the next person" }).click();
  const later = new Date(Date.now() + 2 * 86400000).toISOString().slice(0, 10);
  const outcomes = ["Spoke: will renew", "No answer", "Call back later", "Left a message", "Spoke: has renewed"];
  const seen = new Set();
  for (const [i, outcome] of outcomes.entries()) {
    await c.page.locator('a[href^="tel:"]').waitFor();
    const who = (await c.page.locator("h1").textContent()).trim();
    assert.ok(!seen.has(who), `${who} offered twice`);
    seen.add(who);
    if (i === 0) await audit(c.page, "caller-call");
    await c.page.getByLabel(outcome).check();
    await c.page.getByLabel("Notes").fill(`call ${i + 1}`);
    if (outcome === "Call back later") {
      await c.page.getByLabel(/called back/).fill("2020-01-01");
      await c.page.getByRole("button", { name: "Save and go on" }).click();
      await c.page.getByRole("alert").waitFor();
      assert.equal((await c.page.locator("h1").textContent()).trim(), who, "the same person, after the mistake");
      assert.equal(await c.page.getByLabel("Notes").inputValue(), "call 3", "the notes are kept");
      assert.ok(await c.page.getByLabel(outcome).isChecked(), "the outcome is kept");
      await audit(c.page, "caller-call-mistake");
      await c.page.getByLabel(/called back/).fill(later);
    }
    if (outcome === "Left a message") await c.page.getByLabel("Needs an officer").check();
    await c.page.getByRole("button", { name: "Save and go on" }).click();
  }
  // Two are done (will renew, has renewed); the rest wait for another call.
  await c.page.getByText(`${toCall - 2} still to call`).first().waitFor();
  await c.page.goto(`${base}/tasks`);
  await audit(c.page, "my-tasks");
  await c.context.close();

  await p.goto(`${base}/`);
  const follow = n(await p.locator(".todo li", { hasText: "Follow-ups given to you" }).locator(".count").textContent());
  assert.ok(follow >= 1, "the flag is on the officer's home page");
  await p.getByRole("link", { name: /Follow-ups given to you/ }).click();
  await audit(p, "officer-tasks");
  const flag = p.locator(".people li", { hasText: "Needs an officer" }).first();
  await flag.getByPlaceholder("What you did (optional)").fill("Rang back and took a card payment");
  await flag.getByRole("button", { name: /Done/ }).click();
  await p.goto(listUrl);
  await p.getByRole("heading", { name: "Needs an officer: 0" }).waitFor();
  const [waiting, done, blocked] = (await p.locator(".cards li .n").allTextContents()).map(Number);
  assert.equal(waiting + done + blocked, toCall, "the list's counts add up to the people on it");
  assert.equal(done, 2);
  assert.equal(waiting, toCall - 2);
  await audit(p, "call-list-worked");

  await p.goto(reportUrl);
  const html = await p.content();
  const line = /id="in_arrears"[\s\S]*?<\/progress> (\d+) of (\d+) contacted(?:; (\d+) more called, not reached)?/.exec(html);
  assert.ok(line, "the arrears section says how many were contacted");
  assert.deepEqual([Number(line[1]), Number(line[2]), Number(line[3] ?? 0)], [4, reportArrears, 1], "four reached, one tried, out of the section");
  await p.goto(`${base}/`);
  const homeNow = n(await p.locator(".todo li", { hasText: "Remind members in arrears" }).locator(".count").textContent());
  assert.equal(homeNow, homeArrears, "calls alone change nobody's status");
  await mo.context.close();
});

await step("the Membership Officer emails everyone in arrears, watches it go, and a member unsubscribes in one click", async () => {
  // The Secretary sets the imprint that campaign emails must carry.
  await page.goto(`${base}/emails/settings`);
  await page.getByLabel("Imprint").fill("Promoted by A. Agent on behalf of Anytown Party, both at 1 High Street, Anytown AN1 1AA");
  await page.getByRole("button", { name: "Save email settings" }).click();
  await page.waitForURL(/saved=1/);
  await audit(page, "email-settings");

  const mo = await newPhone();
  const p = mo.page;
  await signIn(p, "membership@example.org");
  await p.goto(`${base}/members?status=in_arrears`);
  await p.getByRole("button", { name: "Email these people" }).click();
  await p.getByRole("heading", { name: "Write an email" }).waitFor();
  await audit(p, "email-compose");
  await p.getByLabel("Subject").fill("Time to renew, {{ first_name }}");
  await p.getByLabel("Message").fill("Dear {{ first_name }},\n\nYour membership ran out on {{ paid_untill }}.");
  await p.getByRole("button", { name: "Check and preview" }).click();
  const alert = (await p.getByRole("alert").textContent()).trim();
  assert.match(alert, /line 3/, "the mistake is shown with its line");
  assert.equal(await p.getByLabel("Subject").inputValue(), "Time to renew, {{ first_name }}", "what was typed is kept");
  await audit(p, "email-compose-mistake");
  await p.getByLabel("Message").fill("Dear {{ first_name }},\n\nYour membership ran out on {{ paid_until }}. **Renewing** keeps your vote.");
  await p.getByRole("button", { name: "Check and preview" }).click();
  await p.getByText(/will get it/).waitFor();
  const subject = (await p.locator(".preview p").first().textContent()).trim();
  assert.match(subject, /^Subject: Time to renew, \S+/);
  assert.ok(!subject.includes("Sam"), "previewed as a real recipient");
  await audit(p, "email-draft");
  const recipients = Number(/Send to (\d+)/.exec(await p.getByRole("button", { name: /Send to/ }).textContent())[1]);
  assert.ok(recipients > 0);
  await p.getByRole("button", { name: "Send me a test" }).click();
  await p.getByText(/A test copy is on its way/).waitFor();
  await p.getByRole("button", { name: /Send to/ }).click();
  // The page follows its progress by itself (a refresh, no script); wait for the end.
  for (let i = 0; i < 60; i++) {
    if ((await p.locator("main strong").first().textContent()).trim() === "sent") break;
    await p.waitForTimeout(1000);
    await p.reload();
  }
  assert.equal((await p.locator("main strong").first().textContent()).trim(), "sent");
  const sent = Number((await p.locator("dt", { hasText: /^Sent$/ }).locator("xpath=following-sibling::dd[1]").textContent()).trim());
  assert.equal(sent, recipients, "everyone shown as getting it got it");
  await audit(p, "email-sent");
  await mo.context.close();

  // A member opens the unsubscribe link from their copy, without an account.
  const copy = readdirSync(mailDir)
    .map((f) => readFileSync(join(mailDir, f), "utf8"))
    .find((m) => m.includes("List-Unsubscribe: <"));
  assert.ok(copy, "the members' copies are in the mail folder");
  const link = new URL(/List-Unsubscribe: <([^>]+)>/.exec(copy)[1]);
  const member = await newPhone();
  await member.page.goto(`${base}${link.pathname}`);
  await member.page.getByRole("heading", { name: "Unsubscribe from emails" }).waitFor();
  await audit(member.page, "unsubscribe");
  await member.page.getByRole("button", { name: "Unsubscribe me" }).click();
  await member.page.getByRole("heading", { name: "You are unsubscribed" }).waitFor();
  await audit(member.page, "unsubscribed");
  await member.page.getByRole("link", { name: "Choose how we may contact you" }).click();
  await member.page.getByLabel("Post").check();
  await member.page.getByRole("button", { name: "Save my choices" }).click();
  await member.page.getByText(/Saved/).waitFor();
  assert.equal(await member.page.getByLabel("Email").isChecked(), false);
  await audit(member.page, "email-choices");
  await member.context.close();
});

await step("the Secretary adds a person, moves them, merges a duplicate and puts them in a forum", async () => {
  await page.goto(`${base}/members`);
  await page.getByRole("link", { name: "Add a person" }).click();
  await page.getByRole("heading", { name: "Add a person" }).waitFor();
  await audit(page, "member-add");
  await page.getByLabel("First name").fill("Wren");
  await page.getByLabel("Email", { exact: true }).fill("not an address");
  await page.getByRole("button", { name: "Add" }).click();
  await page.getByText("Nothing has been saved").waitFor();
  assert.equal(await page.getByLabel("First name").inputValue(), "Wren", "what was typed is kept");
  await audit(page, "member-add-mistakes");
  await page.getByLabel("Last name").fill("Okonkwo-Hale");
  await page.getByLabel("Email", { exact: true }).fill("wren.oh@example.org");
  await page.getByLabel("Branch").selectOption({ index: 1 });
  await page.getByRole("button", { name: "Add" }).click();
  await page.getByRole("heading", { name: /Wren Okonkwo-Hale/ }).waitFor();
  const wren = page.url().split("?")[0];
  await page.getByRole("link", { name: "Move branch or rate" }).click();
  await audit(page, "member-move");
  await page.getByLabel("Branch").selectOption({ index: 2 });
  await page.getByLabel("Rate").selectOption("reduced");
  await page.getByRole("button", { name: "Move" }).click();
  await page.getByText("Moved branch").waitFor();
  await page.getByText("Rate changed").waitFor();
  // The same person again: the form says who they look like, and adds them only when told.
  await page.goto(`${base}/members/new`);
  await page.getByLabel("First name").fill("Wren");
  await page.getByLabel("Last name").fill("Okonkwo-Hale");
  await page.getByLabel("Email", { exact: true }).fill("wren.oh@example.org");
  await page.getByRole("button", { name: "Add" }).click();
  await page.getByText(/looks like someone already recorded/).waitFor();
  await audit(page, "member-add-duplicate");
  await page.getByLabel(/This is someone else/).check();
  await page.getByRole("button", { name: "Add" }).click();
  await page.getByRole("heading", { name: /Wren Okonkwo-Hale/ }).waitFor();
  await page.goto(`${base}/people/duplicates`);
  await audit(page, "duplicates");
  await page.getByRole("link", { name: "Compare and merge" }).first().click();
  await page.getByRole("heading", { name: "Merge two records of one person" }).waitFor();
  await audit(page, "merge");
  await page.getByRole("button", { name: "Merge" }).click();
  await page.getByText("Merged with a duplicate record").waitFor();
  await page.goto(wren);
  await page.getByLabel("Put in a forum branch").selectOption({ index: 0 });
  await page.getByRole("button", { name: "Put in", exact: true }).click();
  await page.getByText("opted in").waitFor();
  await audit(page, "member-forums");
});

await step("the Membership Officer imports a file from another system in the browser", async () => {
  const mo = await newPhone();
  const p = mo.page;
  await signIn(p, "membership@example.org");
  await p.getByRole("link", { name: "Import" }).click();
  await audit(p, "import");
  const csv = "Contact Type,External Identifier,First Name,Last Name,Email,Member Since,Membership End Date,Membership Type,Membership Status\n" +
    "Individual,B9001,Tamsin,Achebe,tamsin.a@example.org,14/02/2019,13/02/2027,General,Current\n" +
    "Individual,B9002,Idris,Lowe,,20/06/2018,19/06/2025,General,Cancelled\n";
  await p.getByLabel("File").setInputFiles({ name: "civicrm.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await p.getByRole("button", { name: "Upload" }).click();
  await p.getByRole("heading", { name: "civicrm.csv" }).waitFor();
  await audit(p, "import-columns");
  await p.getByRole("button", { name: "Check the file" }).click();
  await p.getByText(/The check found/).waitFor({ timeout: 20000 });
  await audit(p, "import-problems");
  await p.getByLabel("Values to read as Rosette's").fill("kind:Individual=member\nrate:General=standard\nstatus:Cancelled=resigned");
  await p.getByRole("button", { name: "Check the file" }).click();
  await p.getByRole("button", { name: "Import now" }).waitFor({ timeout: 20000 });
  await audit(p, "import-checked");
  await p.getByRole("button", { name: "Import now" }).click();
  await p.getByText(/2 rows: 2 added/).waitFor({ timeout: 20000 });
  await audit(p, "import-done");
  await mo.context.close();
});

await step("the Secretary creates a members' meeting and signs people in at the door on a phone", async () => {
  await page.getByRole("link", { name: "Events" }).first().click();
  await audit(page, "events");
  await page.getByRole("link", { name: "Create an event" }).click();
  await page.getByLabel("Title").fill("December members' meeting");
  await page.getByLabel("Kind").selectOption("members_meeting");
  await page.getByLabel("Starts").fill("2030-12-03 19:30");
  await page.getByLabel("Ends").fill("2030-12-03 19:00");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByText("Nothing has been saved").waitFor();
  await audit(page, "event-new-mistakes");
  await page.getByLabel("Ends").fill("2030-12-03 21:00");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByRole("heading", { name: "December members' meeting" }).waitFor();
  await audit(page, "event");
  await page.getByRole("link", { name: "Open the door sign-in" }).click();
  await page.goto(`${page.url()}?q=Okonkwo`);
  await audit(page, "event-door");
  await page.getByRole("button", { name: /Sign in Wren/ }).first().click();
  await page.getByText("is signed in").waitFor();
  await page.getByText(/May not vote|May vote/).first().waitFor();
  await audit(page, "event-door-signed-in");
});

await step("the Women's Officer runs a public social with a sign-up page, and the Secretary's stall records people met", async () => {
  const wo = await newPhone();
  const p = wo.page;
  await signIn(p, "women@example.org");
  await p.getByRole("link", { name: "Women", exact: true }).click();
  await p.getByRole("heading", { name: "Women members" }).waitFor();
  await audit(p, "women-home");
  if (await p.getByRole("button", { name: "Mark welcomed" }).count() > 0) {
    await p.getByLabel("Welcomed by").first().selectOption("one_to_one");
    await p.getByRole("button", { name: "Mark welcomed" }).first().click();
    await p.getByRole("heading", { name: "Welcomed lately" }).waitFor();
    await audit(p, "women-home-welcomed");
  }
  await p.goto(`${base}/events/new`);
  await p.getByLabel("Title").fill("Women's winter social");
  await p.getByLabel("Kind").selectOption("social");
  await p.getByLabel("For", { exact: true }).selectOption({ index: 0 });
  await p.getByLabel("Starts").fill("2030-11-14 18:30");
  await p.getByLabel("Ends").fill("2030-11-14 21:00");
  await p.getByLabel("Place or online link").fill("The Corner Café, 4 Mill Lane");
  await p.getByLabel("Who to ask").fill("Wendy, women@example.org");
  await p.getByRole("button", { name: "Create" }).click();
  await p.getByRole("heading", { name: "Women's winter social" }).waitFor();
  await audit(p, "event-with-public-page");
  const publicUrl = await p.getByRole("link", { name: /\/e\// }).getAttribute("href");
  await p.getByRole("link", { name: "Change" }).click();
  await audit(p, "event-edit");
  await p.goto(`${base}/events?month=2030-11`);
  await p.getByText("Women's winter social").waitFor();
  await audit(p, "events-month");
  await p.getByRole("link", { name: "Put every event in my own calendar" }).click();
  await p.getByRole("button", { name: "Make a new address" }).click();
  await p.getByText("It is shown only now").waitFor();
  await audit(p, "calendar-feed");
  await p.goto(`${base}/reports`);
  await p.getByRole("link", { name: /Representation/ }).click();
  await p.getByRole("heading", { name: "Who takes part" }).waitFor();
  await audit(p, "representation");
  await p.goto(`${base}/reports/ladder`);
  await p.getByRole("heading", { name: "From member to activist" }).waitFor();
  await audit(p, "ladder");
  await p.screenshot({ path: join(shots, "representation-top.png") });

  // Someone with no account, on a phone, signs up from the shared link.
  const guest = await newPhone();
  const g = guest.page;
  await g.goto(publicUrl.replace("https://rosette.example", base).replace(/^http:\/\/[^/]+/, base));
  await g.getByRole("heading", { name: "Women's winter social" }).waitFor();
  await audit(g, "event-public");
  await g.getByRole("button", { name: "Sign up" }).click();
  await g.getByText("You are not signed up yet").waitFor();
  await audit(g, "event-public-mistakes");
  await g.getByLabel("First name").fill("Grace");
  await g.getByLabel("Last name").fill("Guest");
  await g.getByLabel("Email address").fill("grace.guest@example.org");
  await g.getByLabel(/may email me/).check();
  await g.getByRole("button", { name: "Sign up" }).click();
  await g.getByRole("heading", { name: "You are signed up" }).waitFor();
  await audit(g, "event-public-done");
  await guest.context.close();
  await wo.context.close();

  await page.goto(`${base}/events/new`);
  await page.getByLabel("Title").fill("Saturday stall");
  await page.getByLabel("Kind").selectOption("street_stall");
  await page.getByLabel("Starts").fill("2030-11-16 10:00");
  await page.getByLabel("Ends").fill("2030-11-16 12:00");
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByRole("link", { name: "Record people met" }).click();
  await audit(page, "event-met");
  await page.getByLabel("First name").fill("Pat");
  await page.getByLabel("Last name").fill("Passerby");
  await page.getByLabel("Email", { exact: true }).fill("pat.passerby@example.org");
  await page.getByLabel("Issues they raised").fill("housing, buses");
  await page.getByLabel("May we email them?").selectOption("yes");
  await page.getByLabel(/Interested in joining/).check();
  await page.getByRole("button", { name: "Save and next" }).click();
  await page.getByText(/Pat Passerby is recorded as a supporter/).waitFor();
  await audit(page, "event-met-done");
});

await step("the Secretary looks at the welcome journey's board and its steps", async () => {
  await page.goto(`${base}/`);
  await page.getByRole("link", { name: "Journeys" }).click();
  await page.getByRole("heading", { name: "Journeys" }).waitFor();
  await audit(page, "journeys");
  await page.getByRole("link", { name: "Welcome new members" }).click();
  await page.getByRole("heading", { name: "Finished" }).waitFor();
  await audit(page, "journey-board");
  await page.getByRole("link", { name: "Change the steps" }).click();
  await page.getByLabel("Steps, one a line").fill("wait 2 days\nfly\n");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("line 2:").waitFor();
  await audit(page, "journey-edit-mistakes");
  await page.goto(`${base}/journeys/new`);
  await page.getByLabel("What starts it").selectOption("became_officer");
  await audit(page, "journey-new");
  await page.getByRole("link", { name: "Notices" }).click();
  await page.getByLabel("Subject").fill("Branch AGMs by March");
  await page.getByLabel("Notice", { exact: true }).fill("Please hold your branch AGM before the end of March.");
  await page.getByRole("button", { name: "Send it" }).click();
  await page.getByText(/Who has read it: 0 of/).waitFor();
  await audit(page, "notice-sent");
});

await step("the Women's Officer sends the training survey, a member answers it on her phone, and the answer becomes a segment", async () => {
  const wo = await newPhone();
  const p = wo.page;
  await signIn(p, "women@example.org");
  await p.goto(`${base}/women`);
  await audit(p, "women-home");
  await p.getByRole("link", { name: "Ask women members about their interests and training" }).click();
  await p.getByRole("heading", { name: "A new survey" }).waitFor();
  await audit(p, "survey-new");
  await p.getByLabel("Questions").fill("single: Only one option\n- Yes\n");
  await p.getByRole("button", { name: "Save" }).click();
  await p.getByText("line 1: give this question at least two options").waitFor();
  await audit(p, "survey-new-mistakes");
  await p.goto(`${base}/surveys/new?from=women_interests`);
  await p.getByLabel("Title").fill("Training this winter");
  await p.getByRole("button", { name: "Save" }).click();
  await p.getByRole("heading", { name: "Training this winter" }).waitFor();
  const survey = new URL(p.url()).pathname.split("/").pop();
  await p.getByLabel("Email it to").selectOption({ label: "Women members" });
  await p.getByRole("button", { name: "Draft the email" }).click();
  await p.getByRole("button", { name: /Send to/ }).click();
  let mail;
  for (let i = 0; i < 60 && !mail; i++) {
    await p.waitForTimeout(1000);
    if (existsSync(mailDir)) mail = readdirSync(mailDir).map((f) => readFileSync(join(mailDir, f), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=")).find((m) => m.includes(`/s/${survey}?i=`));
  }
  assert.ok(mail, "a woman member's copy, with her own link, is in the mail folder");
  const link = new URL(new RegExp(`(https?://[^\\s)"<>]+/s/${survey}\\?i=[^\\s)"<>]+)`).exec(mail)[1]);

  const member = await newPhone();
  const m = member.page;
  await m.goto(`${base}${link.pathname}${link.search}`);
  await m.getByRole("heading", { name: "Training this winter" }).waitFor();
  await audit(m, "survey-answer");
  await m.getByRole("group", { name: /What training would you like/ }).getByLabel("Public speaking").check();
  await m.getByRole("group", { name: /How confident/ }).getByLabel("4").check();
  await m.getByRole("button", { name: "Send my answers" }).click();
  await m.getByText("Thank you: your answers are in.").waitFor();
  await audit(m, "survey-answered");
  await member.context.close();

  await p.goto(`${base}/surveys/${survey}`);
  await p.getByText("1 answered", { exact: true }).waitFor();
  await audit(p, "survey-results");
  await p.screenshot({ path: join(shots, "survey-results.png"), fullPage: true });
  await p.getByRole("link", { name: "1 people answered Public speaking: list them" }).click();
  await p.getByRole("heading", { name: "Members" }).waitFor();
  assert.equal(await p.locator("ul.people > li").count(), 1, "the one who answered it");
  await p.getByLabel("Save these filters as a segment").fill("Wants public speaking");
  await p.getByRole("button", { name: "Save", exact: true }).click();
  await p.goto(`${base}/segments`);
  await p.getByRole("link", { name: "Wants public speaking" }).waitFor();
  await wo.context.close();
});

await step("the Women's Officer records a women's organisation, a contact and a meeting on her phone", async () => {
  const wo = await newPhone();
  const p = wo.page;
  await signIn(p, "women@example.org");
  await p.goto(`${base}/women`);
  await p.getByRole("link", { name: "Record a women's organisation" }).click();
  await p.getByRole("heading", { name: "Record an organisation" }).waitFor();
  await audit(p, "organisation-new");
  await p.getByLabel("Name").fill("Anytown Women's Centre");
  await p.getByLabel("Notes").fill("Drop-in on Tuesdays.");
  await p.getByRole("button", { name: "Save" }).click();
  await p.getByRole("heading", { name: "Anytown Women's Centre" }).waitFor();
  await p.getByText("Add a contact").click();
  await p.getByLabel("First name").fill("Rhian");
  await p.getByLabel("Last name").fill("Organiser");
  await p.getByLabel("Their role there").fill("Coordinator");
  await p.getByLabel("Email", { exact: true }).fill("rhian.organiser@example.org");
  await p.getByLabel("May we email them?").selectOption("yes");
  await p.getByRole("button", { name: "Add the contact" }).click();
  await p.getByText("Rhian Organiser").waitFor();
  await p.getByLabel("Record").selectOption("meeting");
  await p.getByLabel("Date").fill("2026-11-20");
  await p.getByLabel("Note").fill("Agreed a joint International Women's Day event.");
  await p.getByRole("button", { name: "Record it" }).click();
  await p.getByText("Agreed a joint International Women's Day event.").waitFor();
  await audit(p, "organisation");
  await p.goto(`${base}/organisations`);
  await audit(p, "organisations");
  await p.goto(`${base}/surveys`);
  await audit(p, "surveys");
  await p.goto(`${base}/journeys/new`);
  await audit(p, "journey-new-for-a-branch");
  await wo.context.close();
});

await step("the Women's Officer shows the meeting the presentation on a 1280x720 screen, and prints it", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, bypassCSP: true });
  const p = await context.newPage();
  await signIn(p, "women@example.org");
  await p.goto(`${base}/present`);
  await p.getByRole("heading", { name: "Membership", exact: true }).waitFor();
  await audit(p, "presentation");
  await p.screenshot({ path: join(shots, "presentation-slide-1.png") });
  // Page Down moves a slide at a time.
  await p.keyboard.press("PageDown");
  await p.waitForTimeout(400);
  const second = await p.evaluate(() => Math.round(window.scrollY / window.innerHeight));
  if (second !== 1) throw new Error(`Page Down went to slide ${second + 1}, not 2`);
  await p.screenshot({ path: join(shots, "presentation-slide-2.png") });
  await p.locator("#s8").scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(shots, "presentation-slide-8.png") });
  const text = await p.locator("main").innerText();
  if (/\b[A-Z]?\d{6,}\b/.test(text)) throw new Error("something like a membership number is on a slide");
  const pdf = await p.pdf({ format: "A4", landscape: true, printBackground: true });
  const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  const slides = await p.locator("section.slide").count();
  if (pages !== slides) throw new Error(`printed ${pages} pages for ${slides} slides`);
  await context.close();
});

await browser.close();
stop();
console.log(`${checked.size} pages checked with axe; screenshots in ${shots}`);
if (failures > 0) {
  console.error(`${failures} failure(s)`);
  process.exit(1);
}
