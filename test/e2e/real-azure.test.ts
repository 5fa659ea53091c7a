/**
 * examples/real-azure creates what Image Builder needs with @pulumi/azure-native, then the template. It cannot deploy
 * here (the azure-native plugin is not available offline, and the emulator has no identity, role or gallery service),
 * so this checks it as far as it can run:
 * - it type-checks, with its own TypeScript and tsconfig, against @pulumi/azure-native installed from the npm registry
 *   (from the npm cache when it holds it; not a dependency of the repository) and this package from its packed
 *   tarball: the examples' shared install (helpers/examples.ts installedExamples), beside which this test puts its
 *   copy of the program with the mock runner;
 * - run under Pulumi's mock runtime (pulumi.runtime.setMocks; mocks because azure-native cannot run here, see
 *   test/e2e/fixtures/mock-run), the template registers with a dependency on both role assignments, and those
 *   assign Microsoft's image creation actions on the resource group and "Managed Identity Operator" on the build VM
 *   identity to the template's identity;
 * - the template's arguments, with the ids mocked Azure gave the prerequisites, pass the provider's `check`.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { checkInputs } from "../../provider/image-template/check";
import { ENSURE_TIMEOUT_MS } from "./helpers/engine";
import { installedExamples } from "./helpers/examples";
import { REPO_ROOT } from "./helpers/npm";

const run = promisify(execFile);
const EXAMPLE = path.join(REPO_ROOT, "examples", "real-azure");
const SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const TEMPLATE = "pulumi-nodejs:dynamic/azure-imagebuilder:ImageTemplate";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830";
/** The image creation role Microsoft documents for distributing to managed images and galleries. */
const IMAGE_CREATION_ACTIONS = [
  "Microsoft.Compute/galleries/read",
  "Microsoft.Compute/galleries/images/read",
  "Microsoft.Compute/galleries/images/versions/read",
  "Microsoft.Compute/galleries/images/versions/write",
  "Microsoft.Compute/images/write",
  "Microsoft.Compute/images/read",
  "Microsoft.Compute/images/delete",
];

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  answer: Record<string, string>;
  dependencies: string[];
}

describe("examples/real-azure (cannot deploy offline: type-checked, run under mocks, checked)", function () {
  this.timeout(15 * 60_000);
  /** The examples' shared install, and this test's copy of the program beside the examples'. */
  let installed: string;
  let program: string;
  let registered: Registered[];

  before(async function () {
    this.timeout(ENSURE_TIMEOUT_MS);
    ({ dir: installed } = await installedExamples());
    program = await mkdtemp(path.join(installed, "real-azure-mock-"));
    for (const file of ["index.ts", "tsconfig.json", "Pulumi.yaml"]) {
      await cp(path.join(EXAMPLE, file), path.join(program, file));
    }
    await cp(path.join(__dirname, "fixtures", "mock-run", "mock-run.ts"), path.join(program, "mock-run.ts"));
  });

  after(async () => {
    if (program) await rm(program, { recursive: true, force: true });
  });

  it("type-checks against @pulumi/azure-native from the npm registry, with its own TypeScript", async () => {
    const azureNative = JSON.parse(
      await readFile(path.join(installed, "node_modules", "@pulumi", "azure-native", "package.json"), "utf8"),
    ) as { version: string };
    assert.match(azureNative.version, /^3\./);
    await run(path.join(installed, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", program]);
  });

  describe("under Pulumi's mock runtime", () => {
    before(async () => {
      const { stdout } = await run(
        process.execPath,
        ["-r", require.resolve("ts-node/register/transpile-only"), "mock-run.ts", "index.ts", SUBSCRIPTION],
        { cwd: program, maxBuffer: 16 * 1024 * 1024 },
      );
      registered = JSON.parse(stdout) as Registered[];
    });

    const one = (type: string, name: string) => {
      const found = registered.filter((r) => r.type === type && r.name === name);
      assert.equal(found.length, 1, `${type} ${name} registered once`);
      return found[0];
    };
    const urn = (r: Registered) => `urn:pulumi:dev::mock-run::${r.type}::${r.name}`;

    it("registers the template with a dependency on both role assignments", () => {
      const template = one(TEMPLATE, "ubuntu-web");
      const assignments = registered.filter((r) => r.type === ROLE_ASSIGNMENT);
      assert.deepEqual(assignments.map((a) => a.name).sort(), [
        "aib-builder-image-creation",
        "aib-builder-operates-build-vm",
      ]);
      for (const assignment of assignments) {
        assert.ok(template.dependencies.includes(urn(assignment)), `the template depends on ${assignment.name}`);
      }
    });

    it("grants the template's identity the image creation actions on the group and Managed Identity Operator on the build VM identity", () => {
      const group = one("azure-native:resources:ResourceGroup", "images");
      const builder = one("azure-native:managedidentity:UserAssignedIdentity", "aib-builder");
      const buildVm = one("azure-native:managedidentity:UserAssignedIdentity", "aib-build-vm");
      const role = one("azure-native:authorization:RoleDefinition", "aib-image-creation");
      assert.deepEqual(role.inputs.assignableScopes, [group.answer.id]);
      const permissions = role.inputs.permissions as { actions: string[] }[];
      assert.deepEqual(permissions.flatMap((p) => p.actions).sort(), [...IMAGE_CREATION_ACTIONS].sort());

      const imageCreation = one(ROLE_ASSIGNMENT, "aib-builder-image-creation").inputs;
      assert.equal(imageCreation.scope, group.answer.id);
      assert.equal(imageCreation.roleDefinitionId, role.answer.id);
      assert.equal(imageCreation.principalId, builder.answer.principalId);
      assert.equal(imageCreation.principalType, "ServicePrincipal");

      const operator = one(ROLE_ASSIGNMENT, "aib-builder-operates-build-vm").inputs;
      assert.equal(operator.scope, buildVm.answer.id);
      assert.equal(
        operator.roleDefinitionId,
        `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${MANAGED_IDENTITY_OPERATOR}`,
      );
      assert.equal(operator.principalId, builder.answer.principalId);

      const template = one(TEMPLATE, "ubuntu-web").inputs;
      assert.deepEqual(template.identityUserAssignedIdentity, [builder.answer.id]);
      assert.deepEqual(template.vmProfileUserAssignedIdentities, [buildVm.answer.id]);
      assert.equal(template.resourceGroupName, group.answer.name);
      const gallery = one("azure-native:compute:GalleryImage", "ubuntu-24-04");
      assert.equal((template.distribute as { galleryImageId: string }[])[0].galleryImageId, gallery.answer.id);
    });

    it("gives the template arguments that pass check, with the prerequisites' ids", () => {
      const { __provider, ...inputs } = one(TEMPLATE, "ubuntu-web").inputs;
      assert.equal(typeof __provider, "string", "a dynamic resource's inputs carry its provider");
      const { failures, inputs: checked } = checkInputs({}, inputs, { env: { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION } });
      assert.deepEqual(failures, []);
      assert.equal(checked.subscriptionId, SUBSCRIPTION);
      assert.match(String(checked.imageTemplateName), /^ubuntu-web-[0-9a-z]+$/);
    });
  });
});
