/**
 * A token the emulator accepted once (and remembers as verified) is refused from its expiry on, like a fresh one.
 * The clock is moved, not waited for: Node's mock timers set Date for the emulator (in this process) to just before,
 * at and after the token's `exp`, so the test neither sleeps nor depends on how fast the machine is.
 */
import assert from "node:assert/strict";
import { mock } from "node:test";
import { decodeJwt } from "jose";
import { API, emulatorSuite } from "./util";

describe("emulator: token expiry", function () {
  const suite = emulatorSuite();
  after(() => {
    mock.timers.reset();
  });
  afterEach(() => mock.timers.reset());

  const list = (token: string) =>
    suite.a.request(
      "GET",
      `/subscriptions/${suite.emu.subscriptionId}/providers/Microsoft.VirtualMachineImages/imageTemplates?${API}`,
      undefined,
      { Authorization: `Bearer ${token}` },
    );
  const at = (epochSeconds: number) => {
    mock.timers.reset();
    mock.timers.enable({ apis: ["Date"], now: epochSeconds * 1000 });
  };

  it("refuses a remembered token from its expiry second on, and accepts it until then", async () => {
    const { accessToken } = await suite.emu.admin.issueToken({ lifetimeSeconds: 600 });
    const exp = decodeJwt(accessToken).exp!;
    assert.equal((await list(accessToken)).status, 200, "accepted (and remembered) while valid");

    at(exp - 1);
    assert.equal((await list(accessToken)).status, 200, "one second before expiry");

    at(exp);
    const expired = await list(accessToken);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, "ExpiredAuthenticationToken");

    at(exp + 3600);
    assert.equal((await list(accessToken)).body.error.code, "ExpiredAuthenticationToken", "and stays refused");
  });

  it("refuses a token from the token endpoint once its expires_in has passed", async () => {
    const exp = decodeJwt(suite.a.token).exp!;
    assert.equal((await list(suite.a.token)).status, 200);
    at(exp + 1);
    assert.equal((await list(suite.a.token)).body.error.code, "ExpiredAuthenticationToken");
  });
});
