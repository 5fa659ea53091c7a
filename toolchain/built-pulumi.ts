/**
 * Builds `pulumi` from the Go module proxy, plus our own `pulumi-language-nodejs` (toolchain/language-host), into
 * `<versionDir>/bin`. `go install ...@version` cannot build pulumi (its go.mod files carry replace directives), so both
 * are built inside a throwaway wrapper module kept in `<versionDir>/src`.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { execChecked, execCommand, findOnPath } from "./exec";
import { formatVersion, isAtLeast, MIN_GO, MIN_PULUMI } from "./versions";

const CLI_PACKAGE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi";
const WRAPPER_MODULE = "pulumi-azure-imagebuilder.local/pulumi-build";
const HOST_STAMP = ".pulumi-language-nodejs.sha256";
/** Progress is reported every this many compiled packages (a cold build compiles about 1,500). */
const PACKAGES_PER_REPORT = 100;

export interface BuiltPulumiRequest {
  /** Pulumi version without the leading "v", e.g. "3.248.0". */
  readonly version: string;
  /** `<cache>/pulumi-v<version>`; the tools end up in its `bin/`. */
  readonly versionDir: string;
  /** Directory holding the language host's Go sources. */
  readonly hostSourceDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
}

export const binDirOf = (versionDir: string): string => path.join(versionDir, "bin");

/** The language host's Go files and the script it embeds. */
const isHostSource = (name: string): boolean => name.endsWith(".go") || name.endsWith(".mjs");

/** A digest of the language host sources, stamped beside its binary so a changed host gets rebuilt. */
export async function hostSourceDigest(hostSourceDir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const name of (await fs.readdir(hostSourceDir)).filter(isHostSource).sort()) {
    hash
      .update(`${name}\0`)
      .update(await fs.readFile(path.join(hostSourceDir, name)))
      .update("\0");
  }
  return hash.digest("hex");
}

/** Whether `bin/pulumi` exists and reports exactly `v<version>` (the stamp the Automation API relies on). */
export async function cliIsCurrent(binDir: string, version: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const result = await execCommand(path.join(binDir, "pulumi"), ["version"], { env }).catch(() => undefined);
  return result?.code === 0 && result.stdout.trim() === `v${version}`;
}

export async function hostIsCurrent(binDir: string, hostSourceDir: string): Promise<boolean> {
  const [stamp, digest] = await Promise.all([
    fs.readFile(path.join(binDir, HOST_STAMP), "utf8").catch(() => ""),
    hostSourceDigest(hostSourceDir),
  ]);
  const binary = await fs.stat(path.join(binDir, "pulumi-language-nodejs")).catch(() => undefined);
  return binary !== undefined && stamp === digest;
}

/** Finds a Go toolchain new enough for pulumi's go.mod, or explains what to install. */
export async function requireGo(env: NodeJS.ProcessEnv): Promise<string> {
  const go = findOnPath("go", env.PATH);
  const version = go ? await execCommand(go, ["env", "GOVERSION"], { env }).catch(() => undefined) : undefined;
  if (!go || !version || version.code !== 0 || !isAtLeast(version.stdout, MIN_GO)) {
    const found = go ? `found ${go} (${version?.stdout.trim() || "version unknown"})` : "no `go` on PATH";
    throw new Error(
      `No usable Pulumi CLI: there is no \`pulumi\` >= ${formatVersion(MIN_PULUMI)} with its pulumi-language-nodejs on PATH, and the CLI ` +
        `cannot be built because Go >= ${formatVersion(MIN_GO)} is required (${found}).\n` +
        "Install one of them and retry:\n" +
        "  - the Pulumi CLI: https://www.pulumi.com/docs/install/ (must include pulumi-language-nodejs), or\n" +
        `  - Go >= ${formatVersion(MIN_GO)}: https://go.dev/doc/install (the CLI is then built once from the Go module proxy into ` +
        "~/.cache/pulumi-azure-imagebuilder).",
    );
  }
  return go;
}

/** Environment for every go command: static binaries, no workspace or VCS stamping interfering with the wrapper. */
export function goEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, CGO_ENABLED: "0", GOWORK: "off", GOFLAGS: `${env.GOFLAGS ?? ""} -buildvcs=false`.trim() };
}

function ldflags(version: string): string {
  return `-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`;
}

/** Creates the wrapper module pinned to the release; a marker records that the pinning finished. */
async function prepareModule(go: string, req: BuiltPulumiRequest, srcDir: string): Promise<void> {
  const marker = path.join(srcDir, ".pinned-version");
  if ((await fs.readFile(marker, "utf8").catch(() => "")) === req.version) return;
  await fs.rm(srcDir, { recursive: true, force: true });
  await fs.mkdir(srcDir, { recursive: true });
  const env = goEnv(req.env);
  const forward = (line: string): void => req.log(`go: ${line.replace(/^go: /, "")}`);
  await execChecked(go, ["mod", "init", WRAPPER_MODULE], { cwd: srcDir, env });
  await fs.writeFile(
    path.join(srcDir, "tools.go"),
    `//go:build tools\n\n// Package tools pins the Pulumi CLI into this wrapper module.\npackage tools\n\nimport _ "${CLI_PACKAGE}"\n`,
  );
  req.log(`pinning github.com/pulumi/pulumi/{pkg,sdk}/v3@v${req.version} (downloads can take a few minutes) ...`);
  await execChecked(
    go,
    ["get", `github.com/pulumi/pulumi/pkg/v3@v${req.version}`, `github.com/pulumi/pulumi/sdk/v3@v${req.version}`],
    { cwd: srcDir, env, onLine: forward },
  );
  await fs.writeFile(marker, req.version);
}

/** Copies the host sources into the wrapper module and lets `go mod tidy` add whatever they import. */
async function syncHostSources(go: string, req: BuiltPulumiRequest, srcDir: string): Promise<void> {
  const target = path.join(srcDir, "langhost");
  await fs.rm(target, { recursive: true, force: true });
  await fs.mkdir(target);
  for (const name of (await fs.readdir(req.hostSourceDir)).filter(isHostSource)) {
    await fs.copyFile(path.join(req.hostSourceDir, name), path.join(target, name));
  }
  req.log("resolving module dependencies (go mod tidy) ...");
  await execChecked(go, ["mod", "tidy"], {
    cwd: srcDir,
    env: goEnv(req.env),
    onLine: (line) => req.log(`go: ${line.replace(/^go: /, "")}`),
  });
}

/** `go build` into a temporary name, then an atomic rename once `verify` accepts the result. */
async function buildBinary(
  go: string,
  req: BuiltPulumiRequest,
  srcDir: string,
  target: string,
  pkg: string,
  verify: (file: string) => Promise<void>,
): Promise<void> {
  const temp = `${path.join(path.dirname(target), `.${path.basename(target)}`)}.${process.pid}.tmp`;
  let compiled = 0;
  const heartbeat = setInterval(() => req.log(`  still compiling ${path.basename(target)} ...`), 60_000);
  try {
    await execChecked(
      go,
      ["build", "-v", "-trimpath", "-tags", "osusergo,grpcnotrace", "-ldflags", ldflags(req.version), "-o", temp, pkg],
      {
        cwd: srcDir,
        env: goEnv(req.env),
        // `-v` names each package as it compiles: count them for progress, pass anything else (errors) through.
        onLine: (line) => {
          if (/^[\w.\-~]+(\/[\w.\-~+]+)*$/.test(line)) {
            if (++compiled % PACKAGES_PER_REPORT === 0) req.log(`  compiled ${compiled} packages (${line})`);
          } else if (line.trim()) {
            req.log(`go: ${line}`);
          }
        },
      },
    );
    await verify(temp);
    await fs.rename(temp, target);
  } finally {
    clearInterval(heartbeat);
    await fs.rm(temp, { force: true });
  }
}

/** Builds whatever of `pulumi` and `pulumi-language-nodejs` is missing or stale. Call while holding the cache lock. */
export async function buildPulumi(req: BuiltPulumiRequest): Promise<void> {
  const binDir = binDirOf(req.versionDir);
  const needCli = !(await cliIsCurrent(binDir, req.version, req.env));
  const needHost = !(await hostIsCurrent(binDir, req.hostSourceDir));
  if (!needCli && !needHost) return;

  const go = await requireGo(req.env);
  const started = Date.now();
  const srcDir = path.join(req.versionDir, "src");
  await fs.mkdir(binDir, { recursive: true });
  await prepareModule(go, req, srcDir);
  await syncHostSources(go, req, srcDir);

  if (needHost) {
    req.log("building pulumi-language-nodejs (toolchain/language-host) ...");
    const digest = await hostSourceDigest(req.hostSourceDir);
    await buildBinary(go, req, srcDir, path.join(binDir, "pulumi-language-nodejs"), "./langhost", async () => {});
    await fs.writeFile(path.join(binDir, HOST_STAMP), digest);
  }
  if (needCli) {
    req.log(`building pulumi v${req.version}; a first build takes several minutes and a few GB of RAM ...`);
    await buildBinary(go, req, srcDir, path.join(binDir, "pulumi"), CLI_PACKAGE, async (file) => {
      const stamped = (await execChecked(file, ["version"], { env: req.env })).trim();
      if (stamped !== `v${req.version}`) throw new Error(`built pulumi reports "${stamped}", expected v${req.version}`);
    });
  }
  req.log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
}
