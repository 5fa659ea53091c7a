/**
 * The build-log store as a hostile local user would treat it: forged bearer tokens against the blob endpoint the
 * emulator publishes and against the Azurite process behind it (found the way such a user would, through /proc),
 * an emulator killed with -9 (no Azurite may outlive it) and a restart that finds a hung Azurite of the killed one,
 * and the modes of the blob files. Azurite starts when a blob is first used, not with the emulator.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as https from "node:https";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { SignJWT } from "jose";
import { startTestEmulator, type TestEmulator } from "../helpers/emulator";
import { arm, settle, templateBody, templatePath, type Arm } from "../emulator/util";
import { recordFigure, suiteCommand } from "./summary";

const CLI = path.resolve(__dirname, "../../dist/emulator/cli.js");
const STORAGE_API = "api-version=2023-05-01";
const command = suiteCommand("build-log-store.test.ts");

/** The CLI's ready line, the fields these tests use. */
interface Ready {
  url: string;
  blobUrl: string;
  caCertPath: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** Processes whose command line names `dir` (Azurite is started with `--location <dataDir>/blobs`). */
async function processesUsing(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await fs.readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.split("\0").includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

/** The TCP ports `pid` listens on: its socket inodes matched against /proc/net/tcp's LISTEN rows. */
async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await fs.readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const link = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]);
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const rows = (await fs.readFile(table, "utf8").catch(() => "")).split("\n").slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      if (cols[3] === "0A" && inodes.has(cols[9])) ports.push(Number.parseInt(cols[1].split(":")[1], 16));
    }
  }
  return ports;
}

interface Answer {
  status: number;
  body: string;
}

function request(url: string, method: string, ca: string, headers: Record<string, string>, body?: string) {
  return new Promise<Answer>((resolve) => {
    const req = https.request(
      url,
      {
        method,
        ca,
        agent: false,
        headers: {
          "x-ms-version": "2023-11-03",
          "x-ms-date": new Date().toUTCString(),
          ...(body !== undefined ? { "Content-Length": String(Buffer.byteLength(body)) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", (e) => resolve({ status: 0, body: e.message }));
    req.end(body);
  });
}

/** What a client can try on an account's logs: list, read, append, create and delete. */
function attempts(account: string, logPath: string) {
  return [
    { what: "list containers", method: "GET", path: `/${account}/?comp=list` },
    { what: "list blobs", method: "GET", path: `/${account}/packerlogs?restype=container&comp=list` },
    { what: "read the log", method: "GET", path: `/${account}/${logPath}` },
    {
      what: "append to the log",
      method: "PUT",
      path: `/${account}/${logPath}?comp=appendblock`,
      body: "[forged] PACKER OUT injected\n",
    },
    {
      what: "create a blob",
      method: "PUT",
      path: `/${account}/packerlogs/forged/customization.log`,
      headers: { "x-ms-blob-type": "AppendBlob" },
      body: "",
    },
    { what: "delete the log", method: "DELETE", path: `/${account}/${logPath}` },
  ];
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("reliability: the build-log store admits only the emulator's tokens and dies with the emulator", function () {
  this.timeout(180_000);

  describe("forged tokens", () => {
    let emu: TestEmulator;
    let client: Arm;
    before(async () => {
      emu = await startTestEmulator();
      client = await arm(emu);
    });
    after(async () => {
      client?.close();
      await emu?.stop();
    });

    it("refuses list, read, append, create and delete with unsigned, foreign-key, other-tenant, wrong-audience and expired tokens, at the endpoint and behind it", async () => {
      const sub = emu.subscriptionId;
      await settle(client, await client.request("PUT", templatePath(sub, "rg", "logs"), templateBody(sub)));
      await settle(client, await client.request("POST", templatePath(sub, "rg", "logs", "/run")));
      const t = (await client.request("GET", templatePath(sub, "rg", "logs"))).body;
      const staging: string = t.properties.exactStagingResourceGroup;
      const [storage] = (
        await client.request("GET", `${staging}/providers/Microsoft.Storage/storageAccounts?${STORAGE_API}`)
      ).body.value;
      const endpoint = new URL(storage.properties.primaryEndpoints.blob as string);
      const account = storage.name as string;
      const genuine = (await emu.credential().getToken("https://storage.azure.com/.default"))!.token;
      const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
      const listed = await request(
        `${endpoint.origin}/${account}/packerlogs?restype=container&comp=list`,
        "GET",
        emu.caPem,
        auth(genuine),
      );
      assert.equal(listed.status, 200, listed.body);
      const logName = /<Name>([^<]+customization\.log)<\/Name>/.exec(listed.body)![1];
      const logPath = `packerlogs/${logName}`;
      const logBefore = await request(`${endpoint.origin}/${account}/${logPath}`, "GET", emu.caPem, auth(genuine));
      assert.equal(logBefore.status, 200);
      assert.match(logBefore.body, /Builds finished/);

      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: `https://sts.windows.net/${emu.tenantId}/`,
        aud: "https://storage.azure.com/",
        tid: emu.tenantId,
        appid: emu.clientId,
        oid: emu.clientId,
        iat: now,
        nbf: now - 60,
        exp: now + 3600,
      };
      const { privateKey: otherKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const forged: Record<string, string> = {
        "alg none": `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`,
        "another key": await new SignJWT(claims)
          .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "emulator-signing-key" })
          .sign(otherKey),
        "another tenant": (
          await emu.admin.issueToken({
            tenantId: "33333333-3333-3333-3333-333333333333",
            audience: "https://storage.azure.com/",
          })
        ).accessToken,
        "ARM audience": (await emu.admin.issueToken({})).accessToken,
        expired: (await emu.admin.issueToken({ audience: "https://storage.azure.com/", lifetimeSeconds: -600 }))
          .accessToken,
      };
      // Behind the endpoint: every port the Azurite process of this emulator listens on.
      const azurite = await processesUsing(path.join(emu.dataDir, "blobs"));
      assert.ok(azurite.length > 0, "the Azurite process is found through /proc");
      const origins = new Set([endpoint.origin]);
      for (const pid of azurite) for (const port of await listeningPorts(pid)) origins.add(`https://127.0.0.1:${port}`);

      let tried = 0;
      const accepted: string[] = [];
      for (const origin of origins) {
        for (const [kind, token] of Object.entries(forged)) {
          for (const a of attempts(account, logPath)) {
            const r = await request(
              `${origin}${a.path}`,
              a.method,
              emu.caPem,
              { ...auth(token), ...a.headers },
              a.body,
            );
            tried++;
            if (r.status >= 200 && r.status < 300) accepted.push(`${kind}: ${a.what} at ${origin} (${r.status})`);
          }
        }
      }
      recordFigure("build-log-store-forged-tokens", {
        label: `Build-log store: forged-token list/read/append/create/delete accepted (alg none, another key, another tenant, ARM audience, expired; endpoint and Azurite's port) / tried`,
        value: `${accepted.length} / ${tried}`,
        expected: `0 / ${tried}`,
        command,
      });
      assert.deepEqual(accepted, []);
      assert.ok(origins.size >= 2, `the endpoint and Azurite's own port were tried: ${[...origins].join(", ")}`);
      const logAfter = await request(`${endpoint.origin}/${account}/${logPath}`, "GET", emu.caPem, auth(genuine));
      assert.equal(logAfter.status, 200, "the log is still there");
      assert.equal(logAfter.body, logBefore.body, "and unchanged");

      // The same requests with the emulator's own token do what they say: the refusals above are the tokens'.
      const control = `packerlogs/control/customization.log`;
      const put = await request(
        `${endpoint.origin}/${account}/${control}`,
        "PUT",
        emu.caPem,
        { ...auth(genuine), "x-ms-blob-type": "AppendBlob" },
        "",
      );
      assert.equal(put.status, 201, put.body);
      for (const a of attempts(account, control)) {
        const r = await request(
          `${endpoint.origin}${a.path}`,
          a.method,
          emu.caPem,
          { ...auth(genuine), ...a.headers },
          a.body,
        );
        assert.ok(r.status >= 200 && r.status < 300, `${a.what} with the emulator's token: ${r.status} ${r.body}`);
      }
    });

    it("keeps Azurite's files owner-only: blobs/ and its directories 0700, its files 0600", async () => {
      const blobs = path.join(emu.dataDir, "blobs");
      const modes: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        modes.push(`${dir} ${((await fs.stat(dir)).mode & 0o777).toString(8)}`);
        for (const e of await fs.readdir(dir, { withFileTypes: true })) {
          const full = path.join(dir, e.name);
          if (e.isDirectory()) await walk(full);
          else modes.push(`${full} ${((await fs.stat(full)).mode & 0o777).toString(8)}`);
        }
      };
      await walk(blobs);
      assert.ok(modes.length > 2, `Azurite wrote files: ${modes.join(", ")}`);
      const open = modes.filter((m) => !/ (700|600)$/.test(m));
      recordFigure("build-log-store-modes", {
        label: "Build-log store: files and directories under blobs/ readable by others / checked",
        value: `${open.length} / ${modes.length}`,
        expected: `0 / ${modes.length}`,
        command,
      });
      assert.deepEqual(open, []);
    });
  });

  describe("kill -9 of the emulator", () => {
    let dataDir: string;
    const children: ChildProcess[] = [];
    before(() => {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
    });
    beforeEach(async () => {
      dataDir = await fs.mkdtemp(path.join(tmpdir(), "emu-kill9-"));
    });
    afterEach(async () => {
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      for (const pid of await processesUsing(path.join(dataDir, "blobs"))) process.kill(pid, "SIGKILL");
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    const startCli = async () => {
      const child = spawn(process.execPath, [CLI, "--port", "0", "--data-dir", dataDir, "--quiet"], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.push(child);
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`CLI exited early with ${code}`)));
      });
      return { child, ready: JSON.parse(line) as Ready };
    };
    /** Lists a staging account's containers as a client would (a storage token from the emulator): Azurite starts. */
    const useBlobs = async (ready: Ready) => {
      const ca = readFileSync(ready.caCertPath, "utf8");
      const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_id: ready.clientId,
        client_secret: ready.clientSecret,
        scope: "https://storage.azure.com/.default",
      }).toString();
      const token = await request(
        `${ready.url}/${ready.tenantId}/oauth2/v2.0/token`,
        "POST",
        ca,
        {
          "content-type": "application/x-www-form-urlencoded",
        },
        form,
      );
      assert.equal(token.status, 200, token.body);
      const [account] = JSON.parse(await fs.readFile(path.join(dataDir, "storage-accounts.json"), "utf8")) as {
        name: string;
      }[];
      const list = await request(`${ready.blobUrl}/${account.name}/?comp=list`, "GET", ca, {
        authorization: `Bearer ${(JSON.parse(token.body) as { access_token: string }).access_token}`,
      });
      assert.equal(list.status, 200, list.body);
    };
    /** Waits (generously: this bounds a failure, it measures nothing) until no process serves the dir's blobs. */
    const strays = async () => {
      const blobs = path.join(dataDir, "blobs");
      for (let i = 0; i < 300 && (await processesUsing(blobs)).length > 0; i++) await delay(100);
      return processesUsing(blobs);
    };
    const serves = async (ready: { url: string; caCertPath: string }) => {
      const ca = readFileSync(ready.caCertPath, "utf8");
      return (await request(`${ready.url}/_emulator/state`, "GET", ca, {})).status;
    };

    it("starts Azurite on the first use of a blob, leaves none behind, and a restart on the same data dir works", async () => {
      const first = await startCli();
      assert.deepEqual(await processesUsing(path.join(dataDir, "blobs")), [], "no Azurite before a blob is used");
      await useBlobs(first.ready);
      assert.equal((await processesUsing(path.join(dataDir, "blobs"))).length, 1, "one Azurite while it runs");
      first.child.kill("SIGKILL");
      const left = await strays();
      recordFigure("build-log-store-stray-after-kill", {
        label: "Build-log store: Azurite processes left serving the data dir after kill -9 of the emulator",
        value: left.length,
        expected: 0,
        command,
      });
      assert.deepEqual(left, [], "no Azurite outlives the emulator");
      const second = await startCli();
      assert.equal(await serves(second.ready), 401, "the restarted emulator answers (admin token required)");
      await useBlobs(second.ready);
      assert.equal((await processesUsing(path.join(dataDir, "blobs"))).length, 1);
      second.child.kill("SIGTERM");
      await new Promise((resolve) => second.child.once("exit", resolve));
      assert.deepEqual(await strays(), []);
    });

    it("a restart ends an Azurite of the killed emulator that could not react (stopped) before starting its own", async () => {
      const first = await startCli();
      await useBlobs(first.ready);
      const [hung] = await processesUsing(path.join(dataDir, "blobs"));
      process.kill(hung, "SIGSTOP");
      first.child.kill("SIGKILL");
      const second = await startCli();
      assert.deepEqual(await processesUsing(path.join(dataDir, "blobs")), [], `the stopped Azurite ${hung} is gone`);
      await useBlobs(second.ready);
      const now = await processesUsing(path.join(dataDir, "blobs"));
      assert.equal(now.length, 1, "one Azurite serves the dir");
      assert.equal(await serves(second.ready), 401);
      second.child.kill("SIGTERM");
      await new Promise((resolve) => second.child.once("exit", resolve));
    });

    it("refuses a second emulator on a data dir a running one uses, before and after its Azurite started", async () => {
      const first = await startCli();
      await assert.rejects(startCli(), /CLI exited early/);
      await useBlobs(first.ready);
      await assert.rejects(startCli(), /CLI exited early/);
      assert.equal(await serves(first.ready), 401, "the first one still serves");
      assert.equal((await processesUsing(path.join(dataDir, "blobs"))).length, 1);
    });
  });
});
