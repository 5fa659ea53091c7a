/**
 * The service's answers to what the program left out (computed checksums, filled defaults) are never drift, and a
 * value the program set that the service changed always is: diff and the PATCH body, pure.
 */
import assert from "node:assert/strict";
import { changedKeys, withoutAnswers } from "../../provider/image-template/diff";
import { memberAt } from "../../provider/image-template/properties";
import { plan } from "../../provider/image-template/plan";
import { maximalArgs, minimalArgs } from "./fixtures/args";

type Bag = Record<string, unknown>;
const HEX = "ab".repeat(32);
const OTHER = "cd".repeat(32);
const script = (extra: Bag = {}) => ({ type: "Shell", name: "s", scriptUri: "https://example.com/s.sh", ...extra });

describe("the service's answers to what the program left out", () => {
  it('the table marks the downloaded file\'s checksum computed and restartCommand filled with ""', () => {
    for (const list of ["customize[]", "validate.inVMValidations[]"]) {
      assert.equal(memberAt(`${list}.sha256Checksum`)?.computed, true);
    }
    assert.equal(memberAt("customize[].restartCommand")?.default, "");
    assert.equal(memberAt("optimize.workload.sha256Checksum")?.computed, undefined, "no recording shows it filled");
  });

  it("withoutAnswers drops computed members and filled defaults the program left out, keeps what it set", () => {
    const served = [
      script({ sha256Checksum: HEX }),
      { type: "PowerShell", name: "p", inline: ["x"], runElevated: false, runAsSystem: true },
      { type: "WindowsRestart", name: "r", restartCommand: "" },
    ];
    const program = [script(), { type: "PowerShell", name: "p", inline: ["x"] }, { type: "WindowsRestart", name: "r" }];
    assert.deepEqual(withoutAnswers(served, program, "customize"), [
      script(),
      // runAsSystem true is not a default: the service changed it, it stays for diff to see.
      { type: "PowerShell", name: "p", inline: ["x"], runAsSystem: true },
      { type: "WindowsRestart", name: "r" },
    ]);
    // "" asks the service to compute the checksum just as leaving it out does.
    assert.deepEqual(withoutAnswers([script({ sha256Checksum: HEX })], [script({ sha256Checksum: "" })], "customize"), [
      script(),
    ]);
    assert.deepEqual(
      withoutAnswers([script({ sha256Checksum: OTHER })], [script({ sha256Checksum: HEX })], "customize"),
      [script({ sha256Checksum: OTHER })],
      "a checksum the program gave is compared, not dropped",
    );
  });

  const bag = (extra: Bag): Bag => ({ ...minimalArgs(), ...extra });

  it('diff: a computed checksum, restartCommand "", artifactTags {} and vmProfile zeros on the old side are no change', () => {
    const distribute = (minimalArgs().distribute as Bag[]).map((d) => ({ ...d }));
    const news = bag({
      customize: [script(), { type: "WindowsRestart", name: "r" }],
      validate: { inVMValidations: [script()] },
      distribute,
    });
    const olds = bag({
      customize: [script({ sha256Checksum: HEX }), { type: "WindowsRestart", name: "r", restartCommand: "" }],
      validate: { inVMValidations: [script({ sha256Checksum: HEX })] },
      distribute: distribute.map((d) => ({ ...d, artifactTags: {} })),
      vmProfileVmsize: "",
      vmProfileOsdiskSizeGb: 0,
    });
    assert.deepEqual(changedKeys(olds, news), []);
  });

  it("diff: a value the program set that the service changed, or a checksum the program now gives, is a change", () => {
    const news = bag({ customize: [script({ sha256Checksum: HEX })] });
    assert.deepEqual(changedKeys(bag({ customize: [script({ sha256Checksum: OTHER })] }), news), ["customize"]);
    assert.deepEqual(changedKeys(bag({ customize: [script()] }), news), ["customize"]);
    const restart = (restartCommand?: string) => bag({ customize: [{ type: "WindowsRestart", restartCommand }] });
    assert.deepEqual(changedKeys(restart(""), restart("shutdown /r")), ["customize"]);
  });

  it("the PATCH body carries the program's values only: no filled vmProfile zero, no artifactTags {}", () => {
    const distribute = (minimalArgs().distribute as Bag[]).map((d) => ({ ...d }));
    const olds = bag({
      distribute: distribute.map((d) => ({ ...d, artifactTags: {} })),
      vmProfileVmsize: "",
      vmProfileOsdiskSizeGb: 0,
      vmProfileUserAssignedIdentities: [],
    });
    const news = bag({ distribute, vmProfileVmsize: "Standard_D4s_v5" });
    const p = plan(olds, news);
    assert.deepEqual(p.replaces, []);
    assert.deepEqual(p.patchKeys, ["vmProfileVmsize"]);
    assert.deepEqual(p.patch, { properties: { vmProfile: { vmSize: "Standard_D4s_v5" } } });
  });

  it("the maximal fixture compares equal to itself as the service answers it", () => {
    const args = maximalArgs();
    const served = structuredClone(args) as Bag & { distribute: Bag[] };
    for (const d of served.distribute) d.artifactTags ??= {};
    assert.deepEqual(changedKeys(served, args), []);
  });
});
