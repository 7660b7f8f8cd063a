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
  if (width > 362) {
    failures++;
    console.error(`FAIL: ${name} is ${width}px wide on a 360px screen`);
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
  await page.getByLabel("Email").fill("bea@example.org");
  await page.getByLabel("Role").selectOption("branch-secretary");
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

await step("a call list from the arrears section, worked by a caller on a phone", async () => {
  await page.locator('a[href*=":in_arrears"]').click();
  await page.getByRole("heading", { name: "New call list" }).waitFor();
  await audit(page, "call-list-new");
  await page.getByLabel("Dee Campbell").check();
  await page.getByRole("button", { name: "Make the list" }).click();
  await page.getByRole("heading", { name: /arrears/ }).waitFor();
  await audit(page, "call-list");
  const c = await newPhone();
  await signIn(c.page, "caller@example.org");
  await c.page.getByRole("link", { name: "Calls" }).click();
  await c.page.locator(".people a").first().click();
  await c.page.getByRole("button", { name: "Start calling" }).click();
  await c.page.locator('a[href^="tel:"]').waitFor();
  await audit(c.page, "caller-call");
  await c.page.getByLabel("Left a message").check();
  await c.page.getByLabel("Notes").fill("left a voicemail about renewing");
  await c.page.getByRole("button", { name: "Save and go on" }).click();
  await c.page.locator('a[href^="tel:"], button:has-text("Next person")').first().waitFor();
  await c.page.goto(`${base}/tasks`);
  await audit(c.page, "my-tasks");
  await c.context.close();
});

await browser.close();
stop();
console.log(`${checked.size} pages checked with axe; screenshots in ${shots}`);
if (failures > 0) {
  console.error(`${failures} failure(s)`);
  process.exit(1);
}
