/**
 * The role assignment the errors suggest goes on the resource group: ARM's denial names the resource the call was
 * about (the template being created, the image a build writes), which does not exist yet, and an assignment on a
 * missing resource fails.
 */
import assert from "node:assert/strict";
import { describeFailure, identityRightsAdvice } from "../../provider/errors";

const RG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-images";
const TEMPLATE = `${RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/web`;
const denial = (action: string, scope: string) =>
  `The client 'me@example.com' with object id '3f0c1b2a-0000-0000-0000-000000000002' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid.`;

describe("role assignment advice", () => {
  it("a create the deploying identity may not make: assign on the template's resource group, not on the template", () => {
    const error = { statusCode: 403, code: "AuthorizationFailed", message: "" };
    error.message = denial("Microsoft.VirtualMachineImages/imageTemplates/write", TEMPLATE);
    const { message } = describeFailure("create of web", error);
    assert.match(message, /lacks a role allowing Microsoft\.VirtualMachineImages\/imageTemplates\/write on \S+web: /);
    assert.ok(
      message.endsWith(
        `az role assignment create --assignee 3f0c1b2a-0000-0000-0000-000000000002 --role Contributor --scope ${RG}`,
      ),
      message,
    );
  });

  it("a denial over a subscription keeps the subscription as the scope", () => {
    const sub = "/subscriptions/00000000-0000-0000-0000-000000000001";
    const { message } = describeFailure("create of web", {
      statusCode: 403,
      code: "AuthorizationFailed",
      message: denial("Microsoft.Resources/subscriptions/resourceGroups/read", sub),
    });
    assert.ok(message.endsWith(`--scope ${sub}`), message);
  });

  it("a build whose identity may not write the image it makes: assign on the image's resource group", () => {
    const identity = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/aib`;
    const advice = identityRightsAdvice(
      `Distribution failed: AuthorizationFailed: ${denial("Microsoft.Compute/images/write", `${RG}/providers/Microsoft.Compute/images/web`)}`,
      identity,
    );
    assert.ok(advice);
    assert.match(advice, /a role allowing Microsoft\.Compute\/images\/write on \S+\/images\/web /);
    assert.ok(advice.includes(`--role Contributor --scope ${RG};`), advice);
  });
});
