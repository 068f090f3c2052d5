import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { PlatformNetworkPolicies } from "../../components/platformNetworkPolicies";
import { deployPlatformStack } from "../../stacks/platform";
import { mockComponents } from "../support/components";
import { assertConfigRejected, loadFrom } from "../support/configAssertions";
import { ProgramRun, runProgram, waitForRegistrations } from "../support/program";
import { stackFileConfig } from "../support/projectConfig";
import {
    AddOnPolicies, apiServerAddresses, NamedNetworkPolicy, platformNetworkPolicies, PlatformPolicyContext, POLICY_PREFIX,
} from "../../lib/platformNetworkPolicies";

const PASSWORD = "correct-horse-battery-staple";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const ENDPOINT_SLICE = "kubernetes:discovery.k8s.io/v1:EndpointSlice";

const context: PlatformPolicyContext = {
    apiServer: { cidrs: ["10.0.0.1/32", "fd00::1/128"], ports: [6443] },
    webhookSources: ["10.0.0.1/32"],
    ingressNamespace: "ingress-nginx",
    monitoringNamespace: "monitoring",
    rolloutsNamespace: "argo-rollouts",
};

const ADD_ONS: Record<AddOnPolicies["addOn"], AddOnPolicies> = {
    argoRollouts: { addOn: "argoRollouts", ingressController: false, notificationServers: [] },
    argoCd: { addOn: "argoCd", ingressController: false, repositories: [] },
    monitoring: { addOn: "monitoring", ingressController: false, scrapePorts: [], nodes: [], operatorWebhook: false },
    certManager: { addOn: "certManager", acmeServers: [] },
};

const BASE = ["default-deny", "allow-dns", "allow-kube-api"];

/** The allowances of every add-on with monitoring and the rollouts controller on, nothing optional asked for. */
const ALLOWANCES: Record<AddOnPolicies["addOn"], string[]> = {
    argoRollouts: ["allow-analysis-queries", "allow-prometheus-controller"],
    argoCd: [
        "allow-egress-in-namespace", "allow-repo-server", "allow-redis", "allow-dex", "allow-commit-server",
        ...["application-controller", "server", "repo-server", "applicationset-controller", "notifications-controller", "dex-server", "commit-server"]
            .map((pod) => `allow-prometheus-${pod}`),
    ],
    monitoring: ["allow-egress-in-namespace", "allow-scrape-in-namespace", "allow-grafana-to-prometheus", "allow-alerts", "allow-scrape", "allow-analysis-queries"],
    certManager: ["allow-webhook", "allow-prometheus-controller", "allow-prometheus-webhook", "allow-prometheus-cainjector"],
};

const unprefixed = (name: string) => name.slice(POLICY_PREFIX.length);

function policy(policies: readonly NamedNetworkPolicy[], name: string): Record<string, any> {
    const found = policies.find((p) => p.name === `${POLICY_PREFIX}${name}`);
    assert.ok(found, `no policy ${name} among ${policies.map((p) => p.name).join(", ")}`);
    return found.spec as Record<string, any>;
}

const namespaceOf = (namespace: string) => ({ matchLabels: { "kubernetes.io/metadata.name": namespace } });

describe("platform network policies", () => {
    describe("built per add-on", () => {
        for (const [addOn, config] of Object.entries(ADD_ONS)) {
            it(`${addOn}: denies everything, then allows cluster DNS, the API server and exactly the add-on's own traffic`, () => {
                const policies = platformNetworkPolicies(context, config);
                assert.deepEqual(policies.map((p) => unprefixed(p.name)), [...BASE, ...ALLOWANCES[config.addOn]]);
                assert.deepEqual(policy(policies, "default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
                assert.deepEqual(policy(policies, "allow-dns").egress, [{
                    to: [{ podSelector: { matchLabels: { "k8s-app": "kube-dns" } }, namespaceSelector: namespaceOf("kube-system") }],
                    ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
                }]);
                assert.deepEqual(policy(policies, "allow-kube-api"), {
                    podSelector: { matchLabels: {} },
                    policyTypes: ["Egress"],
                    egress: [{ to: [{ ipBlock: { cidr: "10.0.0.1/32" } }, { ipBlock: { cidr: "fd00::1/128" } }], ports: [{ protocol: "TCP", port: 6443 }] }],
                });
            });
        }

        it("allow nothing to the API server when no address is known, since a rule without destinations would allow all", () => {
            const policies = platformNetworkPolicies({ ...context, apiServer: { cidrs: [], ports: [6443] } }, ADD_ONS.argoRollouts);
            assert.deepEqual(policy(policies, "allow-kube-api").egress, []);
        });

        it("leave out what reaches other add-ons when they are not there", () => {
            const alone = { ingressNamespace: "ingress-nginx", apiServer: context.apiServer, webhookSources: [] };
            for (const [addOn, config] of Object.entries(ADD_ONS)) {
                const names = platformNetworkPolicies(alone, config).map((p) => unprefixed(p.name));
                assert.deepEqual(names.filter((n) => n.startsWith("allow-prometheus-") || n === "allow-analysis-queries"), [], addOn);
            }
        });

        it("let in-namespace traffic reach ArgoCD's repo-server, Redis, Dex and commit server only from the components that call them", () => {
            const policies = platformNetworkPolicies(context, ADD_ONS.argoCd);
            const callers = (name: string) => policy(policies, name).ingress.map((rule: any) => ({
                from: rule.from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]),
                ports: rule.ports.map((p: any) => p.port),
            }));
            assert.deepEqual(callers("allow-repo-server"), [{
                from: ["argocd-server", "argocd-application-controller", "argocd-applicationset-controller", "argocd-notifications-controller"], ports: [8081],
            }]);
            assert.deepEqual(callers("allow-redis"), [{ from: ["argocd-server", "argocd-repo-server", "argocd-application-controller"], ports: [6379] }]);
            assert.deepEqual(callers("allow-dex"), [{ from: ["argocd-server"], ports: [5556, 5557] }]);
            assert.deepEqual(callers("allow-commit-server"), [{ from: ["argocd-application-controller"], ports: [8086] }]);
            assert.deepEqual(policy(policies, "allow-prometheus-repo-server").ingress, [{
                from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } }, namespaceSelector: namespaceOf("monitoring") }],
                ports: [{ protocol: "TCP", port: 8084 }],
            }]);
        });

        it("let ArgoCD's repo-server fetch git over HTTPS and SSH from the listed addresses only", () => {
            const policies = platformNetworkPolicies(context, { ...ADD_ONS.argoCd, repositories: ["140.82.112.0/20", "2606:50c0::/32"] } as AddOnPolicies);
            assert.deepEqual(policy(policies, "allow-git"), {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "argocd-repo-server" } },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "140.82.112.0/20" } }, { ipBlock: { cidr: "2606:50c0::/32" } }], ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 22 }] }],
            });
        });

        it("let the rollouts controller query Prometheus on 9090, and Prometheus accept it", () => {
            assert.deepEqual(policy(platformNetworkPolicies(context, ADD_ONS.argoRollouts), "allow-analysis-queries"), {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/component": "rollouts-controller" } },
                policyTypes: ["Egress"],
                egress: [{
                    to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } }, namespaceSelector: namespaceOf("monitoring") }],
                    ports: [{ protocol: "TCP", port: 9090 }],
                }],
            });
            assert.deepEqual(policy(platformNetworkPolicies(context, ADD_ONS.monitoring), "allow-analysis-queries").ingress, [{
                from: [{
                    podSelector: { matchLabels: { "app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/component": "rollouts-controller" } },
                    namespaceSelector: namespaceOf("argo-rollouts"),
                }],
                ports: [{ protocol: "TCP", port: 9090 }],
            }]);
        });

        it("let Prometheus scrape the platform's metrics ports, CoreDNS and the services' ports in any namespace, and the nodes only when listed", () => {
            const monitoring = { ...ADD_ONS.monitoring, scrapePorts: [8080, 9000] } as AddOnPolicies;
            const [pods, ...rest] = policy(platformNetworkPolicies(context, monitoring), "allow-scrape").egress;
            assert.deepEqual(pods.to, [{ namespaceSelector: {} }]);
            assert.deepEqual(pods.ports.map((p: any) => p.port), [5558, 8080, 8082, 8083, 8084, 8087, 8090, 9000, 9001, 9153, 9402]);
            assert.deepEqual(rest, []);
            const withNodes = platformNetworkPolicies(context, { ...monitoring, nodes: ["192.168.0.0/24"] } as AddOnPolicies);
            assert.deepEqual(policy(withNodes, "allow-scrape").egress[1], {
                to: [{ ipBlock: { cidr: "192.168.0.0/24" } }],
                ports: [{ protocol: "TCP", port: 10250 }, { protocol: "TCP", port: 9100 }, { protocol: "TCP", port: 10249 }],
            });
        });

        it("let Grafana query Prometheus and Alertmanager, and nothing else in the namespace reach Prometheus' API", () => {
            const policies = platformNetworkPolicies(context, ADD_ONS.monitoring);
            assert.deepEqual(policy(policies, "allow-grafana-to-prometheus"), {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } } }], ports: [{ protocol: "TCP", port: 9090 }] }],
            });
            assert.deepEqual(policy(policies, "allow-scrape-in-namespace").ingress[0].from, [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }]);
        });

        it("let cert-manager's webhook take calls on 10250 from the webhook sources, and its controller reach the ACME servers listed", () => {
            const certs = platformNetworkPolicies(context, { addOn: "certManager", acmeServers: ["172.65.32.248/32"] });
            assert.deepEqual(policy(certs, "allow-webhook"), {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "webhook", "app.kubernetes.io/component": "webhook" } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.1/32" } }], ports: [{ protocol: "TCP", port: 10250 }] }],
            });
            assert.deepEqual(policy(certs, "allow-acme").egress, [
                { to: [{ ipBlock: { cidr: "172.65.32.248/32" } }], ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 80 }] },
                { to: [{ namespaceSelector: namespaceOf("ingress-nginx") }], ports: [{ protocol: "TCP", port: 80 }] },
            ]);
            assert.ok(!platformNetworkPolicies(context, ADD_ONS.certManager).some((p) => p.name.endsWith("allow-acme")), "no ACME egress unless listed");
        });

        it("let the ingress controller reach ArgoCD's server, Grafana and the rollouts dashboard only when asked", () => {
            const expected = { argoCd: ["argocd-server", 8080], monitoring: ["grafana", 3000], argoRollouts: ["argo-rollouts", 3100] } as const;
            for (const [addOn, [pod, port]] of Object.entries(expected)) {
                const config = ADD_ONS[addOn as keyof typeof expected];
                assert.ok(!platformNetworkPolicies(context, config).some((p) => p.name.endsWith("allow-ingress-controller")), addOn);
                const spec = policy(platformNetworkPolicies(context, { ...config, ingressController: true } as AddOnPolicies), "allow-ingress-controller");
                assert.equal(spec.podSelector.matchLabels["app.kubernetes.io/name"], pod);
                assert.deepEqual(spec.ingress, [{ from: [{ namespaceSelector: namespaceOf("ingress-nginx") }], ports: [{ protocol: "TCP", port }] }]);
            }
        });

        it("read the API server's ready addresses and ports from its EndpointSlice, IPv4 and IPv6", () => {
            assert.deepEqual(apiServerAddresses({
                endpoints: [
                    { addresses: ["172.18.0.2"], conditions: { ready: true } },
                    { addresses: ["fd00:0:0::2"] },
                    { addresses: ["172.18.0.3"], conditions: { ready: false } },
                ],
                ports: [{ port: 6443 }],
            }), { cidrs: ["172.18.0.2/32", "fd00::2/128"], ports: [6443] });
            assert.deepEqual(apiServerAddresses({}), { cidrs: [], ports: [] });
        });
    });

    describe("config", () => {
        const platform = (more: Record<string, unknown>) => ({ imageTag: "v1", platform: { ...more, monitoring: { grafanaAdminPassword: PASSWORD, ...(more.monitoring as object) } } });
        const rejected = (more: Record<string, unknown>, key: string, ...expected: RegExp[]) =>
            assertConfigRejected(platform(more), `rollout-stacks:platform.${key}`, ...expected);

        it("turns policies on for the add-ons the stack installs, off for the others unless asked, and discovers the API server", () => {
            const parsed = loadFrom(platform({
                argoRollouts: { installVia: "external" },
                certManager: { installVia: "external", networkPolicies: { enabled: true, acmeServers: ["0.0.0.0/0", "::/0"] } },
                argoCd: { networkPolicies: { enabled: false } },
            })).platform!;
            const policiesOf = (addOn: { enabled: boolean; networkPolicies?: unknown }) => (addOn.enabled ? addOn.networkPolicies : "off");
            assert.equal(policiesOf(parsed.argoRollouts), undefined);
            assert.equal(policiesOf(parsed.argoCd), undefined);
            assert.deepEqual(policiesOf(parsed.monitoring), { ingressController: false, scrapePorts: [], nodes: [] });
            assert.deepEqual(policiesOf(parsed.certManager), { acmeServers: ["0.0.0.0/0", "::/0"] });
            assert.deepEqual(parsed.networkPolicies, { apiServer: { discover: true }, ingressNamespace: "ingress-nginx" });
        });

        it("takes the API server's CIDRs, with ports 443 and 6443 unless given", () => {
            const shared = (networkPolicies: unknown) => loadFrom(platform({ networkPolicies })).platform!.networkPolicies;
            assert.deepEqual(shared({ apiServer: ["10.0.0.1/32"] }).apiServer, { cidrs: ["10.0.0.1/32"], ports: [443, 6443] });
            assert.deepEqual(shared({ apiServer: ["fd00::/64"], apiServerPorts: [8443] }).apiServer, { cidrs: ["fd00::/64"], ports: [8443] });
        });

        describe("rejects", () => {
            it("an API server address that is no CIDR, by its index", () => rejected({ networkPolicies: { apiServer: ["10.0.0.1/32", "10.0.0.300/32"] } },
                "networkPolicies.apiServer[1]", /10\.0\.0\.300 is not an IPv4 or IPv6 address/));
            it("an empty API server list", () => rejected({ networkPolicies: { apiServer: [] } }, "networkPolicies.apiServer", /at least one CIDR/));
            it("an API server setting that is neither discover nor a list", () => rejected({ networkPolicies: { apiServer: "auto" } },
                "networkPolicies.apiServer", /expected discover, or a list of CIDRs/, /given: "auto"/));
            it("API server ports beside discovery", () => rejected({ networkPolicies: { apiServerPorts: [6443] } },
                "networkPolicies.apiServerPorts", /read from the cluster/));
            it("a git repository block with bits set past its prefix, naming the network", () => rejected(
                { argoCd: { networkPolicies: { repositories: ["140.82.112.0/20", "140.82.113.4/20"] } } },
                "argoCd.networkPolicies.repositories[1]", /bits set past its \/20/, /140\.82\.112\.0\/20/));
            it("an IPv6 ACME server block with bits set past its prefix", () => rejected({ certManager: { networkPolicies: { acmeServers: ["2606:4700::1/32"] } } },
                "certManager.networkPolicies.acmeServers[0]", /2606:4700::\/32/));
            it("an ACME issuer the policies would cut off from its server, naming the issuer by index", () => rejected(
                { certManager: { clusterIssuers: [{ name: "selfsigned", selfSigned: {} }, { name: "letsencrypt", acme: { email: "ops@example.com" } }] } },
                "certManager.networkPolicies.acmeServers", /would keep the ACME issuer clusterIssuers\[1\] from the ACME server/, /\["0\.0\.0\.0\/0","::\/0"\] for anywhere/));
            it("notifications the policies would cut off from their services", () => rejected(
                { argoRollouts: { notifications: { webhooks: { ops: { url: "https://hooks.example.com/x" } } } } },
                "argoRollouts.networkPolicies.notificationServers", /would keep the rollouts controller from its notification services/));
            it("a node block without a prefix length", () => rejected({ monitoring: { networkPolicies: { nodes: ["192.168.0.0"] } } },
                "monitoring.networkPolicies.nodes[0]", /an address, '\/', a prefix length/));
            it("a webhook source that is no address", () => rejected({ networkPolicies: { webhookSources: ["api-server/32"] } },
                "networkPolicies.webhookSources[0]", /not an IPv4 or IPv6 address/));
            it("a scrape port out of range", () => rejected({ monitoring: { networkPolicies: { scrapePorts: [70000] } } },
                "monitoring.networkPolicies.scrapePorts[0]", /port from 1 to 65535/));
            it("policies asked for on an add-on that is off", () => rejected({ argoCd: { enabled: false, networkPolicies: { enabled: true } } },
                "argoCd.networkPolicies.enabled", /argoCd is off/));
            it("a misspelt policy key", () => rejected({ argoCd: { networkPolicies: { repos: [] } } }, "argoCd.networkPolicies.repos", /unknown key/));
        });
    });

    describe("in the stack", () => {
        /** The NetworkPolicies of a run by namespace, each as its name without the prefix, sorted. */
        function byNamespace(run: ProgramRun): Record<string, string[]> {
            const found: Record<string, string[]> = {};
            for (const r of run.ofType(NETWORK_POLICY).filter((p) => p.inputs.metadata.name.startsWith(POLICY_PREFIX))) {
                (found[r.inputs.metadata.namespace] ??= []).push(unprefixed(r.inputs.metadata.name));
            }
            return Object.fromEntries(Object.entries(found).map(([namespace, names]) => [namespace, names.sort()]));
        }
        const sorted = (...names: string[]) => names.sort();

        function runDev(platformOverrides: Record<string, Record<string, unknown>> = {}, more: Record<string, unknown> = {}): Promise<ProgramRun> {
            const file = stackFileConfig("dev");
            const filePlatform = file.platform as Record<string, Record<string, unknown>>;
            const merged = Object.fromEntries(["argoRollouts", "argoCd", "monitoring", "certManager"]
                .map((addOn) => [addOn, { ...filePlatform[addOn], ...platformOverrides[addOn] }]));
            merged.monitoring = { ...merged.monitoring, grafanaAdminPassword: PASSWORD };
            return runProgram({ stack: "dev", config: { ...file, platform: { ...merged, ...more } }, secretKeys: ["platform"] });
        }

        it("gives each installed add-on's namespace the default deny and exactly its allowances, deleted with the namespace", async () => {
            const run = await runDev();
            assert.deepEqual(byNamespace(run), {
                "cert-manager": sorted(...BASE, ...ALLOWANCES.certManager),
                "argo-rollouts": sorted(...BASE, ...ALLOWANCES.argoRollouts),
                monitoring: sorted(...BASE, ...ALLOWANCES.monitoring, "allow-webhook"),
                argocd: sorted(...BASE, ...ALLOWANCES.argoCd),
            });
            const namespaces: Record<string, string> = { "cert-manager": "cert-manager", "argo-rollouts": "argo-rollouts", monitoring: "monitoring", argocd: "argo-cd" };
            for (const r of run.ofType(NETWORK_POLICY).filter((p) => p.inputs.metadata.name.startsWith(POLICY_PREFIX))) {
                assert.equal(r.deletedWith, `${namespaces[r.inputs.metadata.namespace]}-namespace`, `${r.name} is deleted with its namespace`);
            }
            assert.equal(run.reads.filter((r) => r.type === ENDPOINT_SLICE).length, 1, "the API server's EndpointSlice is read once");
        });

        it("lets Prometheus scrape the services' ports", async () => {
            const run = await runDev();
            const scrape = run.named(NETWORK_POLICY, `${POLICY_PREFIX}allow-scrape`).inputs.spec.egress[0];
            assert.ok(scrape.ports.some((p: { port: number }) => p.port === 8080), "the catalogue's services serve on 8080");
        });

        it("uses the configured API server CIDRs without reading the cluster", async () => {
            const run = await runDev({}, { networkPolicies: { apiServer: ["10.96.0.0/12", "fd00:10:96::/112"] } });
            assert.equal(run.reads.filter((r) => r.type === ENDPOINT_SLICE).length, 0);
            const api = run.ofType(NETWORK_POLICY).filter((r) => r.inputs.metadata.name === `${POLICY_PREFIX}allow-kube-api`);
            assert.equal(api.length, 4);
            for (const r of api) {
                assert.deepEqual(r.inputs.spec.egress, [{
                    to: [{ ipBlock: { cidr: "10.96.0.0/12" } }, { ipBlock: { cidr: "fd00:10:96::/112" } }],
                    ports: [{ protocol: "TCP", port: 443 }, { protocol: "TCP", port: 6443 }],
                }]);
            }
            const webhook = run.ofType(NETWORK_POLICY).find((r) => r.name === "cert-manager-network-policies-rollout-stacks-allow-webhook")!;
            assert.deepEqual(webhook.inputs.spec.ingress[0].from, [{ ipBlock: { cidr: "10.96.0.0/12" } }, { ipBlock: { cidr: "fd00:10:96::/112" } }],
                "webhook calls come from the API server unless webhookSources says otherwise");
        });

        it("gives add-ons installed elsewhere none unless asked, and then leaves their namespaces alone on delete", async () => {
            const external = { installVia: "external" };
            const none = await runProgram({ stack: "dev", config: { imageTag: "v1", platform: { argoRollouts: external, argoCd: external, monitoring: external, certManager: external } } });
            assert.deepEqual([none.ofType(NETWORK_POLICY).length, none.reads.filter((r) => r.type === ENDPOINT_SLICE).length], [0, 0]);

            const asked = await runProgram({ stack: "dev", config: { imageTag: "v1", platform: {
                argoRollouts: { ...external, networkPolicies: { enabled: true } },
                argoCd: { ...external, namespace: "gitops", networkPolicies: { enabled: true, repositories: ["0.0.0.0/0", "::/0"] } },
                monitoring: external,
                certManager: { enabled: false },
            } } });
            assert.deepEqual(byNamespace(asked), {
                "argo-rollouts": sorted(...BASE, ...ALLOWANCES.argoRollouts),
                gitops: sorted(...BASE, ...ALLOWANCES.argoCd, "allow-git"),
            });
            assert.ok(asked.ofType(NETWORK_POLICY).length > 0 && asked.ofType(NETWORK_POLICY).every((r) => r.deletedWith === undefined), "no namespace of this stack to be deleted with");
        });

        it("turns an installed add-on's policies off when asked", async () => {
            const run = await runDev({ argoCd: { networkPolicies: { enabled: false } } });
            assert.equal(byNamespace(run).argocd, undefined);
            assert.ok(byNamespace(run).monitoring!.length > 0);
        });

        it("creates the rollouts controller's policies once ArgoCD has installed it, when asked", async () => {
            const run = await runDev({ argoRollouts: { installVia: "argocd", networkPolicies: { enabled: true } } });
            const component = run.resources.find((r) => r.name === "argo-rollouts-network-policies")!;
            assert.deepEqual(((component.options.dependsOn ?? []) as { __name?: string }[]).map((d) => d.__name), ["argo-cd-argo-rollouts"]);
            assert.deepEqual(byNamespace(run)["argo-rollouts"], sorted(...BASE, ...ALLOWANCES.argoRollouts));
        });
    });

    describe("API server discovery", () => {
        it("allows exactly the addresses and port the cluster's EndpointSlice lists", async () => {
            await waitForRegistrations();
            const recorded: { type: string; name: string; inputs: Record<string, any> }[] = [];
            await pulumi.runtime.setMocks({
                newResource: (args) => {
                    recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
                    const state = args.type === ENDPOINT_SLICE
                        ? { endpoints: [{ addresses: ["172.18.0.2"], conditions: { ready: true } }], ports: [{ name: "https", port: 6443, protocol: "TCP" }] }
                        : args.inputs;
                    return { id: `${args.name}-id`, state };
                },
                call: (args) => args.inputs,
            }, "rollout-stacks", "discovery", false);
            const config = loadFrom({ imageTag: "v1", platform: {
                argoRollouts: { installVia: "external", networkPolicies: { enabled: true } },
                argoCd: { enabled: false }, monitoring: { enabled: false }, certManager: { enabled: false },
            } });
            deployPlatformStack(config, config.platform!);
            await waitForRegistrations();
            const api = recorded.find((r) => r.type === NETWORK_POLICY && r.inputs.metadata.name === `${POLICY_PREFIX}allow-kube-api`);
            assert.deepEqual(api?.inputs.spec.egress, [{ to: [{ ipBlock: { cidr: "172.18.0.2/32" } }], ports: [{ protocol: "TCP", port: 6443 }] }]);
        });
    });

    describe("the component", () => {
        it("refuses two policies of one name", async () => {
            const mocked = await mockComponents();
            const spec = { podSelector: {} };
            assert.throws(() => new PlatformNetworkPolicies("twice", { namespace: "ns", policies: [{ name: "a", spec }, { name: "a", spec }] }),
                /policies names a twice/);
            await mocked.settled();
        });
    });
});
