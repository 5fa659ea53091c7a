/** The emulator's one route table: every route resolves, and what no route serves is answered as ARM does. */
import assert from "node:assert/strict";
import { Router } from "../../emulator/router";
import { ADMIN_PREFIX, isAdminPath, ROUTES } from "../../emulator/routes";
import { API, emulatorSuite, templateBody, templatePath } from "./util";

/** A concrete path for a pattern: each `{name}` becomes `name-1`, a `{*name}` tail two segments. */
const concrete = (pattern: string) =>
  pattern.replace(/\{\*(\w+)\}/g, "$1/tail").replace(/\{(\w+)\}/g, (_, name: string) => `${name}-1`);

describe("emulator: router", () => {
  const router = new Router(ROUTES);

  it("resolves every route of the table from a concrete path, with its parameters", () => {
    for (const route of ROUTES) {
      const found = router.match(route.method, concrete(route.path));
      assert.equal(found?.route, route, `${route.method} ${route.path}`);
      const names = [...route.path.matchAll(/\{\*?(\w+)\}/g)].map((m) => m[1]);
      assert.deepEqual(Object.keys(found.params).sort(), names.sort(), route.path);
      for (const name of names) assert.match(found.params[name], new RegExp(`^${name}[-/]`), route.path);
    }
  });

  it("serves the ARM surface, the identity endpoints and the admin API from one table", () => {
    const surfaces = new Set(ROUTES.map((r) => r.surface));
    assert.deepEqual([...surfaces].sort(), ["admin", "arm", "identity"]);
    for (const r of ROUTES) assert.equal(isAdminPath(r.path), r.surface === "admin", r.path);
  });

  it("matches literal segments case-insensitively, ignores one trailing slash and URL-decodes parameters", () => {
    const found = router.match(
      "GET",
      "/SUBSCRIPTIONS/s/resourcegroups/my%20rg/providers/microsoft.virtualmachineimages/IMAGETEMPLATES/t/",
    );
    assert.equal(found?.route?.path.endsWith("/imageTemplates/{imageTemplateName}"), true);
    assert.deepEqual(found.params, { subscriptionId: "s", resourceGroupName: "my rg", imageTemplateName: "t" });
    assert.equal(found.malformed, false);
  });

  it("flags malformed percent-encoding and keeps the parameter as sent", () => {
    const found = router.match(
      "GET",
      "/subscriptions/%E0%A4%A/providers/Microsoft.VirtualMachineImages/imageTemplates",
    );
    assert.equal(found?.malformed, true);
    assert.equal(found.params.subscriptionId, "%E0%A4%A");
  });

  it("finds a path served for other methods only without a route, listing the methods it serves", () => {
    const found = router.match("POST", concrete(ROUTES.find((r) => r.method === "PATCH")!.path));
    assert.ok(found);
    assert.equal(found.route, undefined);
    assert.deepEqual(found.onPath.map((r) => r.method).sort(), ["DELETE", "GET", "PATCH", "PUT"]);
  });

  it("matches nothing for unknown paths, extra or missing segments and empty parameters", () => {
    for (const path of [
      "/",
      "/subscriptions",
      "/subscriptions/s/providers/Microsoft.VirtualMachineImages/imageTemplates/extra",
      "/subscriptions//providers/Microsoft.VirtualMachineImages/imageTemplates",
      "/t/oauth2/v2.0/token/more",
    ])
      assert.equal(router.match("GET", path), undefined, path);
  });

  it("binds the whole tail to a {*name} segment, also an empty one", () => {
    assert.equal(
      router.match("PUT", `${ADMIN_PREFIX}resources/subscriptions/s/x`)?.params.resourceId,
      "subscriptions/s/x",
    );
    assert.equal(router.match("PUT", `${ADMIN_PREFIX}resources`)?.params.resourceId, "");
  });

  it("refuses a table with a method twice on one path, or a tail that is not last", () => {
    const handler = () => ({ status: 204 });
    assert.throws(
      () =>
        new Router([
          { method: "GET", path: "/a/{b}", handler },
          { method: "GET", path: "/a/{b}", handler },
        ]),
      /GET \/a\/\{b\} twice/,
    );
    assert.throws(() => new Router([{ method: "GET", path: "/a/{*b}/c", handler }]), /must be the last segment/);
  });
});

describe("emulator: what no route serves", function () {
  this.timeout(60_000);
  const suite = emulatorSuite();

  it("answers an unknown path 404 NotFound, and an unknown type in the namespace 404 InvalidResourceType", async () => {
    const { a, emu } = suite;
    const unknown = await a.request("GET", `/subscriptions/${emu.subscriptionId}/nothing?${API}`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(Object.keys(unknown.body), ["error"]);
    assert.equal(unknown.body.error.code, "NotFound");
    assert.match(unknown.body.error.message, /No HTTP resource was found that matches the request URI/);
    const type = await a.request(
      "GET",
      `/subscriptions/${emu.subscriptionId}/providers/Microsoft.VirtualMachineImages/widgets?${API}`,
    );
    assert.equal(type.status, 404);
    assert.equal(type.body.error.code, "InvalidResourceType");
  });

  it("answers a method a path does not serve 405 MethodNotAllowed, after the token and api-version checks", async () => {
    const { a, emu } = suite;
    const path = templatePath(emu.subscriptionId, "rg", "t");
    const post = await a.request("POST", path, templateBody(emu.subscriptionId));
    assert.equal(post.status, 405);
    assert.deepEqual(post.body.error, {
      code: "MethodNotAllowed",
      message: "The requested resource does not support http method 'POST'.",
    });
    const unauthenticated = await a.request("POST", path, undefined, { Authorization: "" });
    assert.equal(unauthenticated.status, 401, "the token is checked first");
    const noVersion = await a.request("POST", path.replace(`?${API}`, ""));
    assert.equal(noVersion.body.error.code, "MissingApiVersionParameter", "then the api-version");
  });

  it("answers an identity endpoint's wrong method 404 and logs it as an identity request", async () => {
    const { a, emu } = suite;
    const res = await a.request("GET", `/${emu.tenantId}/oauth2/v2.0/token`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "NotFound");
    const logged = (await emu.admin.requests()).filter((e) => e.path.endsWith("/oauth2/v2.0/token"));
    assert.deepEqual(
      logged.map((e) => [e.method, e.kind, e.status]),
      [
        ["POST", "identity", 200],
        ["GET", "identity", 404],
      ],
    );
  });

  it("answers an unknown admin route 404 with the admin token and 401 without it, and never logs it", async () => {
    const { a, emu } = suite;
    const withToken = await a.request("GET", "/_emulator/nothing", undefined, {
      "x-emulator-admin-token": emu.adminToken,
    });
    assert.equal(withToken.status, 404);
    assert.equal(withToken.body.error.message, "unknown admin route GET /_emulator/nothing");
    const wrongMethod = await a.request("DELETE", "/_emulator/timing", undefined, {
      "x-emulator-admin-token": emu.adminToken,
    });
    assert.equal(wrongMethod.status, 404);
    assert.equal((await a.request("GET", "/_emulator/nothing")).status, 401);
    assert.equal(
      (await emu.admin.requests()).some((e) => e.path.startsWith("/_emulator")),
      false,
    );
  });
});
