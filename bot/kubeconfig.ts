import * as os from "node:os";
import type { ConfigMap } from "@pulumi/pulumi/automation";

/** Where a stack's cluster is: a kubeconfig path or YAML, and a context; both optional. */
export interface KubeconfigSource {
    readonly kubeconfig?: string;
    readonly context?: string;
}

/**
 * The kubeconfig for a stack, as its Kubernetes provider would pick it: the stack's
 * `kubernetes:kubeconfig` (a path or the YAML itself) and `kubernetes:context` when set, otherwise
 * KUBECONFIG or ~/.kube/config.
 */
export function kubeconfigSource(config: ConfigMap): KubeconfigSource {
    const kubeconfig = config["kubernetes:kubeconfig"]?.value;
    const context = config["kubernetes:context"]?.value;
    return { ...(kubeconfig === undefined || kubeconfig === "" ? {} : { kubeconfig }), ...(context === undefined || context === "" ? {} : { context }) };
}

/**
 * @kubernetes/client-node and the loaded kubeconfig. The module is loaded when a command needs the
 * cluster, not at startup: it is large, and most commands never talk to the Kubernetes API.
 */
export async function loadKubeConfig(source: KubeconfigSource): Promise<{ k8s: typeof import("@kubernetes/client-node"); config: import("@kubernetes/client-node").KubeConfig }> {
    const k8s = await import("@kubernetes/client-node");
    const config = new k8s.KubeConfig();
    if (source.kubeconfig === undefined) {
        config.loadFromDefault();
    } else if (source.kubeconfig.includes("\n") || source.kubeconfig.trimStart().startsWith("{")) {
        config.loadFromString(source.kubeconfig);
    } else {
        config.loadFromFile(source.kubeconfig.replace(/^~(?=\/)/, os.homedir()));
    }
    if (source.context !== undefined) {
        config.setCurrentContext(source.context);
    }
    return { k8s, config };
}
