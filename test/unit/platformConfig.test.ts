import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config";
import { assertConfigRejected, configProblems, loadFrom } from "../support/configAssertions";
import { InstallViaHelm, PLATFORM_CHART_DEFAULTS } from "../../config/platform";
import { stackFileConfig } from "../support/projectConfig";

const PASSWORD = "correct-horse-battery-staple";

/** A platform with the password monitoring needs, and `more` laid over it per add-on. */
function platform(more: Record<string, Record<string, unknown>> = {}): Record<string, unknown> {
    return { ...more, monitoring: { grafanaAdminPassword: PASSWORD, ...more.monitoring } };
}

function load(platformConfig: unknown): StackConfig {
    return loadFrom({ imageTag: "v1", platform: platformConfig });
}

function problemsOf(platformConfig: unknown): string {
    return configProblems({ imageTag: "v1", platform: platformConfig });
}

function assertRejected(platformConfig: unknown, key: string, ...expected: RegExp[]): void {
    assertConfigRejected({ imageTag: "v1", platform: platformConfig }, `rollout-stacks:${key}`, ...expected);
}

type On<C> = Extract<C, { readonly enabled: true }>;

/** The add-on's config once it is on; fails the test when it is off. */
function on<C extends { readonly enabled: boolean }>(config: C | undefined): On<C> {
    assert.ok(config?.enabled, "expected the add-on on");
    return config as On<C>;
}

/** The add-on's config when it is on and Pulumi installs it with Helm; fails the test otherwise. */
function helm<C extends { readonly enabled: boolean }>(config: C | undefined): Extract<On<C>, { readonly installVia: "helm" }> {
    const enabled = on(config) as { readonly installVia?: string };
    assert.equal(enabled.installVia, "helm");
    return enabled as Extract<On<C>, { readonly installVia: "helm" }>;
}

const app = { name: "shop", repoURL: "https://github.com/acme/deploy.git", path: "apps/shop", namespace: "shop" };

describe("platform config", () => {
    it("installs every add-on from its repository at a pinned version by default", () => {
        const { platform: parsed } = load(platform());
        assert.ok(parsed);
        for (const addOn of ["argoRollouts", "argoCd", "monitoring", "certManager"] as const) {
            const defaults = PLATFORM_CHART_DEFAULTS[addOn];
            const config: InstallViaHelm & { readonly enabled: true; readonly namespace: string } = helm(parsed[addOn]);
            assert.equal(config.enabled, true);
            assert.equal(config.installVia, "helm");
            assert.equal(config.namespace, defaults.namespace);
            assert.equal(config.version, defaults.version);
            assert.deepEqual(config.chart, { repo: defaults.repo, name: defaults.name });
        }
        assert.equal(on(parsed.argoRollouts).dashboard, false);
        assert.deepEqual(on(parsed.certManager).clusterIssuers, [{ name: "selfsigned", selfSigned: true }]);
    });

    it("makes the Grafana admin password a Pulumi secret", async () => {
        const password = helm(load(platform()).platform?.monitoring).grafanaAdminPassword;
        assert.ok(pulumi.Output.isInstance(password));
        assert.equal(await pulumi.isSecret(pulumi.output(password)), true);
    });

    it("accepts a platform with every add-on off, and one with only custom resources (installs external)", () => {
        const off = { enabled: false };
        const parsed = load({ argoRollouts: off, argoCd: off, monitoring: off, certManager: off }).platform;
        assert.deepEqual([parsed?.argoRollouts.enabled, parsed?.argoCd.enabled, parsed?.monitoring.enabled, parsed?.certManager.enabled],
            [false, false, false, false]);
        const external = { installVia: "external" };
        const crOnly = load({ argoRollouts: external, argoCd: { ...external, applications: [app] }, monitoring: external, certManager: external }).platform;
        const monitoring = on(crOnly?.monitoring);
        assert.equal(monitoring.installVia, "external");
        assert.equal("grafanaAdminPassword" in monitoring, false, "an external Grafana needs no password from this stack");
    });

    it("takes a local chart path instead of a repository", () => {
        const parsed = load(platform({ argoRollouts: { chart: { path: "./charts/argo-rollouts" } } })).platform;
        assert.deepEqual(helm(parsed?.argoRollouts).chart, { path: "./charts/argo-rollouts" });
    });

    it("keeps the default chart name when only the repository changes", () => {
        const parsed = load(platform({ monitoring: { chart: { repo: "oci://registry.example.com/charts" } } })).platform;
        assert.deepEqual(helm(parsed?.monitoring).chart, { repo: "oci://registry.example.com/charts", name: "kube-prometheus-stack" });
    });

    describe("rejects", () => {
        it("a chart with both a repository and a path", () => assertRejected(
            platform({ argoCd: { chart: { repo: "https://charts.example.com", path: "./argo-cd" } } }),
            "platform.argoCd.chart", /exactly one of chart.repo .* and chart.path/));
        it("a chart name beside a local path", () => assertRejected(platform({ argoCd: { chart: { path: "./argo-cd", name: "argo-cd" } } }),
            "platform.argoCd.chart.name", /local chart names itself/));
        it("a repository that is no URL", () => assertRejected(platform({ certManager: { chart: { repo: "charts.jetstack.io" } } }),
            "platform.certManager.chart.repo", /chart repository URL/));
        for (const version of ["^2.40.0", "latest", "2.40"]) {
            it(`the chart version ${version}`, () => assertRejected(platform({ argoRollouts: { version } }),
                "platform.argoRollouts.version", /exact chart version/, new RegExp(`given: "${version.replace(/[.^]/g, "\\$&")}"`)));
        }
        it("a misspelt add-on key", () => assertRejected(platform({ argoRollout: {} }), "platform.argoRollout", /unknown key/));
        it("an unknown installVia", () => assertRejected(platform({ certManager: { installVia: "argocd" } }),
            "platform.certManager.installVia", /helm or external/));
    });

    describe("Grafana admin password", () => {
        it("is required when monitoring installs Grafana, with the command that sets it", () => assertRejected({},
            "platform.monitoring.grafanaAdminPassword",
            /pulumi config set --secret --path platform\.monitoring\.grafanaAdminPassword/, /given: nothing/));
        it("is asked for together with the platform's other problems", () => {
            const message = problemsOf({ monitoring: { version: "latest" }, argoRollouts: { installVia: "argocd", chart: { path: "./charts/argo-rollouts" } } });
            assert.match(message, /\(3 problems\)/);
            for (const key of ["monitoring.version", "monitoring.grafanaAdminPassword", "argoRollouts.chart.path"]) {
                assert.match(message, new RegExp(`rollout-stacks:platform\\.${key.replace(/\./g, "\\.")}:`));
            }
        });
        it("is never quoted back when it is rejected", () => {
            const message = problemsOf({ monitoring: { grafanaAdminPassword: "hunter2" } });
            assert.match(message, /rollout-stacks:platform\.monitoring\.grafanaAdminPassword: expected at least 12 characters \(given: "\[secret\]"\)/);
            assert.doesNotMatch(message, /hunter2/);
        });
        it("stays hidden when the whole monitoring block is quoted", () => {
            const message = problemsOf({ monitoring: { grafanaAdminPassword: PASSWORD, grafana: true } });
            assert.match(message, /rollout-stacks:platform\.monitoring\.grafana: unknown key/);
            assert.doesNotMatch(message, new RegExp(PASSWORD));
        });
    });

    describe("Argo Rollouts via ArgoCD", () => {
        it("needs ArgoCD enabled", () => assertRejected(platform({ argoRollouts: { installVia: "argocd" }, argoCd: { enabled: false } }),
            "platform.argoRollouts.installVia", /needs ArgoCD; set argoCd.enabled/));
        it("needs a chart repository ArgoCD can fetch", () => assertRejected(
            platform({ argoRollouts: { installVia: "argocd", chart: { path: "./charts/argo-rollouts" } } }),
            "platform.argoRollouts.chart.path", /cannot read a path on this machine/));
        it("reserves the Application name argo-rollouts", () => assertRejected(
            platform({ argoRollouts: { installVia: "argocd" }, argoCd: { applications: [{ ...app, name: "argo-rollouts" }] } }),
            "platform.argoCd.applications[0].name", /installs the rollouts controller/));
    });

    describe("ArgoCD applications", () => {
        it("reject a repository URL git cannot clone, by its full key", () => assertRejected(
            platform({ argoCd: { applications: [{ ...app, repoURL: "github.com/acme/deploy" }] } }),
            "platform.argoCd.applications[0].repoURL", /repository URL/, /given: "github.com\/acme\/deploy"/));
        it("reject a path outside the repository", () => assertRejected(platform({ argoCd: { applications: [{ ...app, path: "../other" }] } }),
            "platform.argoCd.applications[0].path", /inside the repository/));
        it("reject two applications of one name", () => assertRejected(platform({ argoCd: { applications: [app, { ...app, namespace: "shop2" }] } }),
            "platform.argoCd.applications[1].name", /used by an earlier application/));
        it("reject a repository the project does not permit", () => assertRejected(
            platform({ argoCd: { project: { sourceRepos: ["https://github.com/other/*"] }, applications: [app] } }),
            "platform.argoCd.applications[0].repoURL", /does not permit this repository/));
        it("reject a repository a project pattern denies", () => assertRejected(
            platform({ argoCd: { project: { sourceRepos: ["https://github.com/acme/*", "!https://github.com/acme/deploy.git"] }, applications: [app] } }),
            "platform.argoCd.applications[0].repoURL", /does not permit/));
        it("reject a namespace outside the project's destinations", () => assertRejected(
            platform({ argoCd: { project: { destinations: [{ namespace: "team-*" }] }, applications: [app] } }),
            "platform.argoCd.applications[0].namespace", /does not permit namespace shop/));
        it("reject deploying into a namespace whose objects Pulumi installs", () => assertRejected(
            platform({ argoCd: { applications: [{ ...app, namespace: "monitoring" }] } }),
            "platform.argoCd.applications[0].namespace", /Pulumi installs platform\.monitoring into namespace monitoring/));
        it("accept repositories and namespaces the project's patterns permit", () => {
            const parsed = load(platform({ argoCd: {
                project: { sourceRepos: ["https://github.com/acme/*"], destinations: [{ namespace: "sh*" }] },
                applications: [app],
            } })).platform;
            assert.deepEqual(on(parsed?.argoCd).applications.map((a) => [a.name, a.targetRevision, a.server]),
                [["shop", "HEAD", "https://kubernetes.default.svc"]]);
        });
    });

    describe("ClusterIssuers", () => {
        it("reject an issuer that is both self-signed and ACME", () => assertRejected(
            platform({ certManager: { clusterIssuers: [{ name: "x", selfSigned: {}, acme: { email: "ops@example.com" } }] } }),
            "platform.certManager.clusterIssuers[0]", /exactly one of selfSigned/));
        it("reject an ACME issuer without a valid e-mail", () => assertRejected(
            platform({ certManager: { clusterIssuers: [{ name: "letsencrypt", acme: { email: "ops" } }] } }),
            "platform.certManager.clusterIssuers[0].acme.email", /e-mail address/));
        it("reject two issuers of one name", () => assertRejected(
            platform({ certManager: { clusterIssuers: [{ name: "a", selfSigned: {} }, { name: "a", selfSigned: {} }] } }),
            "platform.certManager.clusterIssuers[1].name", /used by an earlier ClusterIssuer/));
    });

    describe("committed stack files", () => {
        for (const stack of ["dev", "prod"] as const) {
            it(`${stack}: parse once the per-stack Grafana password is set, and fail without it`, () => {
                const file = stackFileConfig(stack);
                const withPassword = { ...file.platform as Record<string, any> };
                withPassword.monitoring = { ...withPassword.monitoring, grafanaAdminPassword: PASSWORD };
                const parsed = loadFrom({ ...file, platform: withPassword }).platform;
                assert.ok(parsed);
                assert.ok([parsed.argoRollouts, parsed.argoCd, parsed.monitoring, parsed.certManager].every((addOn) => addOn.enabled));
                assert.match(problemsOf(file.platform), /platform\.monitoring\.grafanaAdminPassword/);
            });
        }
        it("issue self-signed certificates on dev and Let's Encrypt ones on prod", () => {
            const issuers = (stack: "dev" | "prod") => (stackFileConfig(stack).platform as { certManager: { clusterIssuers: unknown[] } }).certManager.clusterIssuers;
            assert.deepEqual(issuers("dev"), [{ name: "selfsigned", selfSigned: {} }]);
            assert.deepEqual(issuers("prod").map((i: any) => [i.name, Object.keys(i.acme ?? {}).sort()]), [["letsencrypt", ["email", "ingressClassName", "server"]]]);
        });
    });
});
